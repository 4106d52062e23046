// --view's sound: one `ffplay -nodisp` per participant, fed an Ogg Opus stream on stdin (one page
// per 20 ms packet) with every buffer it has turned down, so what you hear is live. Picture and
// sound are both played as they arrive, which keeps them as much in step as they were sent.
import type { FileSink, Subprocess } from "bun";
import type { AudioTrackInfo } from "../../protocol/index.ts";
import { waitOrKill } from "../child-exit.ts";
import type { FrameSink, StreamInfo } from "../receive/streams.ts";
import { OGG_GRANULES_PER_MS, OggOpusWriter } from "../send/ogg-opus.ts";

interface Player {
  process: Subprocess<"pipe", "ignore", "pipe">;
  sink: FileSink;
  ogg: OggOpusWriter;
  granule: number;
  closed: boolean;
}

export function playArgs(title: string): string[] {
  return ["-hide_banner", "-loglevel", "error", "-nostats", "-nodisp", "-autoexit"]
    .concat(["-window_title", title, "-fflags", "nobuffer", "-flags", "low_delay"])
    .concat([
      "-probesize",
      "32",
      "-analyzeduration",
      "0",
      "-sync",
      "audio",
      "-f",
      "ogg",
      "-i",
      "pipe:0",
    ]);
}

export class AudioPlayer implements FrameSink {
  readonly #ffplay: string;
  readonly #log: (line: string) => void;
  readonly #env: Record<string, string | undefined>;
  readonly #tracks = new Map<number, AudioTrackInfo>();
  readonly #players = new Map<number, Player>();
  /** Participants whose player failed (no sound device...): don't retry every packet. */
  readonly #failed = new Set<number>();

  constructor(ffplay: string, log: (line: string) => void, env = process.env) {
    this.#ffplay = ffplay;
    this.#log = log;
    this.#env = env;
  }

  get players(): number {
    return this.#players.size;
  }

  frame(): void {}

  audioTrack(stream: StreamInfo, track: AudioTrackInfo): void {
    this.#tracks.set(stream.id, track);
  }

  audio(stream: StreamInfo, opus: Uint8Array): void {
    if (this.#failed.has(stream.id)) return;
    const track = this.#tracks.get(stream.id);
    if (!track) return; // packets before the track: the relay sends the track first
    let player = this.#players.get(stream.id);
    if (!player) {
      player = this.#open(stream, track);
      this.#players.set(stream.id, player);
    }
    if (player.closed) return;
    player.granule += 20 * OGG_GRANULES_PER_MS;
    try {
      player.sink.write(player.ogg.packet(opus, player.granule));
      void player.sink.flush();
    } catch {
      player.closed = true;
    }
  }

  end(stream: StreamInfo): void {
    this.#tracks.delete(stream.id);
    this.#failed.delete(stream.id);
    const player = this.#players.get(stream.id);
    this.#players.delete(stream.id);
    if (player) void this.#shut(player);
  }

  async close(): Promise<void> {
    const players = [...this.#players.values()];
    this.#players.clear();
    await Promise.all(players.map((player) => this.#shut(player)));
  }

  #open(stream: StreamInfo, track: AudioTrackInfo): Player {
    const process = Bun.spawn([this.#ffplay, ...playArgs(`framecast: ${stream.name} (sound)`)], {
      detached: true,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
      env: this.#env,
    });
    const ogg = new OggOpusWriter(stream.id);
    const player: Player = { process, sink: process.stdin, ogg, granule: 0, closed: false };
    process.stdin.write(ogg.header(track.channels, track.sampleRate));
    void process.stdin.flush();
    void process.exited.then(async (code) => {
      player.closed = true;
      if (this.#players.get(stream.id) !== player) return; // we closed it ourselves
      this.#players.delete(stream.id);
      this.#failed.add(stream.id);
      const stderr = (await new Response(process.stderr).text()).trim();
      this.#log(
        `can't play ${stream.name}'s sound (ffplay exit code ${code})${stderr ? `: ${stderr}` : ""}`,
      );
    });
    this.#log(`playing ${stream.name}'s sound (ffplay pid ${process.pid})`);
    return player;
  }

  async #shut(player: Player): Promise<void> {
    player.closed = true;
    try {
      await player.sink.end();
    } catch {
      // already gone
    }
    await waitOrKill(player.process, 1500);
  }
}
