// --view: one ffplay window per participant, titled with their name, fed JPEGs on stdin.
// Frames are dropped (not queued) while ffplay is behind, so the picture stays live.
import type { Subprocess } from "bun";
import { waitOrKill } from "../child-exit.ts";
import type { FrameSink, StreamInfo } from "../receive/streams.ts";
import { ChildPerStream } from "./child-per-stream.ts";
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
  /** A window the user closed is not popped up again (ChildPerStream). */
  readonly #windows: ChildPerStream<Window>;
  readonly #env: Record<string, string | undefined>;

  constructor(ffplay: string, log: (line: string) => void, env = process.env) {
    this.#ffplay = ffplay;
    this.#log = log;
    this.#env = env;
    this.#windows = new ChildPerStream({
      open: (stream) => this.#open(stream),
      shut: (window) => this.#shut(window),
      exited: (stream, _window, code, stderr) =>
        this.#log(
          code === 0
            ? `window for ${stream.name} closed`
            : `ffplay for ${stream.name} failed (exit code ${code})${stderr ? `: ${stderr}` : ""}`,
        ),
    });
  }

  /** Number of ffplay windows open now (for tests and status). */
  get windows(): number {
    return this.#windows.size;
  }

  frame(stream: StreamInfo, jpeg: Uint8Array): void {
    this.#windows.childOf(stream)?.writer.write(jpeg);
  }

  end(stream: StreamInfo): void {
    this.#windows.end(stream.id);
  }

  close(): Promise<void> {
    return this.#windows.close();
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
    this.#log(`showing ${stream.name} (ffplay pid ${process.pid})`);
    return { process, writer: new PipeWriter(process.stdin) };
  }

  async #shut(window: Window): Promise<void> {
    await window.writer.end();
    // -autoexit makes ffplay leave at end of input; kill it if it lingers.
    await waitOrKill(window.process, 1500);
  }
}
