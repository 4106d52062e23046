// --view: one ffplay window per participant, titled with their name, fed JPEGs on stdin.
// Frames are dropped (not queued) while ffplay is behind, so the picture stays live.
import type { Subprocess } from "bun";
import { waitOrKill } from "../child-exit.ts";
import type { FrameSink, StreamInfo } from "../receive/streams.ts";
import { PipeWriter } from "./pipe-writer.ts";

interface Window {
  process: Subprocess<"pipe", "ignore", "pipe">;
  writer: PipeWriter;
}

export function viewArgs(title: string): string[] {
  return ["-hide_banner", "-loglevel", "error", "-nostats", "-window_title", title]
    .concat(["-fflags", "nobuffer", "-flags", "low_delay", "-framedrop", "-autoexit"])
    .concat(["-use_wallclock_as_timestamps", "1", "-an", "-sn", "-f", "mjpeg", "-i", "pipe:0"]);
}

export class Viewer implements FrameSink {
  readonly #ffplay: string;
  readonly #log: (line: string) => void;
  readonly #windows = new Map<number, Window>();
  /** Participants whose window the user closed: don't pop it up again. */
  readonly #closedByUser = new Set<number>();
  readonly #env: Record<string, string | undefined>;

  constructor(ffplay: string, log: (line: string) => void, env = process.env) {
    this.#ffplay = ffplay;
    this.#log = log;
    this.#env = env;
  }

  /** Number of ffplay windows open now (for tests and status). */
  get windows(): number {
    return this.#windows.size;
  }

  frame(stream: StreamInfo, jpeg: Uint8Array): void {
    if (this.#closedByUser.has(stream.id)) return;
    let window = this.#windows.get(stream.id);
    if (!window) {
      window = this.#open(stream);
      this.#windows.set(stream.id, window);
    }
    window.writer.write(jpeg);
  }

  end(stream: StreamInfo): void {
    const window = this.#windows.get(stream.id);
    this.#windows.delete(stream.id);
    this.#closedByUser.delete(stream.id);
    if (window) void this.#shut(window);
  }

  async close(): Promise<void> {
    const windows = [...this.#windows.values()];
    this.#windows.clear();
    await Promise.all(windows.map((window) => this.#shut(window)));
  }

  #open(stream: StreamInfo): Window {
    const title = `framecast: ${stream.name}`;
    const process = Bun.spawn([this.#ffplay, ...viewArgs(title)], {
      // Its own process group, so Ctrl-C reaches only us and we close every window in order.
      detached: true,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
      env: this.#env,
    });
    const window: Window = { process, writer: new PipeWriter(process.stdin) };
    void process.exited.then(async (code) => {
      if (this.#windows.get(stream.id) !== window) return; // we closed it ourselves
      this.#windows.delete(stream.id);
      this.#closedByUser.add(stream.id);
      const stderr = (await new Response(process.stderr).text()).trim();
      this.#log(
        code === 0
          ? `window for ${stream.name} closed`
          : `ffplay for ${stream.name} failed (exit code ${code})${stderr ? `: ${stderr}` : ""}`,
      );
    });
    this.#log(`showing ${stream.name} (ffplay pid ${process.pid})`);
    return window;
  }

  async #shut(window: Window): Promise<void> {
    await window.writer.end();
    // -autoexit makes ffplay leave at end of input; kill it if it lingers.
    await waitOrKill(window.process, 1500);
  }
}
