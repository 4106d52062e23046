// --view's sound: one `ffplay -nodisp` per participant, fed an Ogg Opus stream on stdin (one page
// per 20 ms packet) with every buffer it has turned down, so what you hear is live. Picture and
// sound are both played as they arrive, which keeps them as much in step as they were sent.
import type { FileSink, Subprocess } from "bun";
import type { AudioTrackInfo } from "../../protocol/index.ts";
import { waitOrKill } from "../child-exit.ts";
import type { FrameSink, StreamInfo } from "../receive/streams.ts";
import { OGG_GRANULES_PER_MS, OggOpusWriter } from "../send/ogg-opus.ts";
import { ChildPerStream } from "./child-per-stream.ts";

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
  /** A player that failed (no sound device...) is not retried every packet (ChildPerStream). */
  readonly #players: ChildPerStream<Player>;

  constructor(ffplay: string, log: (line: string) => void, env = process.env) {
    this.#ffplay = ffplay;
    this.#log = log;
    this.#env = env;
    this.#players = new ChildPerStream({
      open: (stream) => this.#open(stream),
      shut: (player) => this.#shut(player),
      exited: (stream, player, code, stderr) => {
        player.closed = true;
        this.#log(
          `can't play ${stream.name}'s sound (ffplay exit code ${code})${stderr ? `: ${stderr}` : ""}`,
        );
      },
    });
  }

  get players(): number {
    return this.#players.size;
  }

  frame(): void {}

  audioTrack(stream: StreamInfo, track: AudioTrackInfo): void {
    this.#tracks.set(stream.id, track);
  }

  audio(stream: StreamInfo, opus: Uint8Array): void {
    // Packets before the track: the relay sends the track first.
    if (!this.#tracks.has(stream.id)) return;
    const player = this.#players.childOf(stream);
    if (!player || player.closed) return;
    player.granule += 20 * OGG_GRANULES_PER_MS;
    try {
      player.sink.write(player.ogg.packet(opus, player.granule));
      void player.sink.flush();
    } catch {
      player.closed = true;
    }
  }

  end(stream: StreamInfo): void {
    this.#players.end(stream.id);
    this.#tracks.delete(stream.id);
  }

  close(): Promise<void> {
    return this.#players.close();
  }

  #open(stream: StreamInfo): Player {
    const track = this.#tracks.get(stream.id) as AudioTrackInfo; // audio() checked
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
    void process.exited.then(() => {
      player.closed = true;
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
