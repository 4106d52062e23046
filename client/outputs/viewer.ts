// --view: one ffplay window per participant, titled with their name, fed JPEGs or H.264 on stdin.
// JPEG frames are dropped (not queued) while ffplay is behind, so the picture stays live. H.264
// can't drop a frame alone (the next ones reference it): a little may queue, and a frame that
// still doesn't fit makes the window wait for the next key frame (at most a second from the CLI).
import type { Subprocess } from "bun";
import { waitOrKill } from "../child-exit.ts";
import type { FrameSink, StreamInfo } from "../receive/streams.ts";
import { ChildPerStream } from "./child-per-stream.ts";
import { PipeWriter } from "./pipe-writer.ts";

interface Window {
  process: Subprocess<"pipe", "ignore", "pipe">;
  writer: PipeWriter;
  codec: "jpeg" | "h264";
  /** H.264: nothing is written until a key frame (at the start, and after a dropped frame). */
  needsKey: boolean;
}

/** H.264 bytes that may wait for a busy ffplay (a few key frames of 640x480). */
const H264_PIPE_ALLOWANCE_BYTES = 1024 * 1024;

/**
 * ffplay reading one participant from stdin, shown as soon as decoded: no input buffering,
 * timestamps from the arrival (raw MJPEG and H.264 carry none), late pictures dropped.
 */
export function viewArgs(title: string, codec: "jpeg" | "h264" = "jpeg"): string[] {
  return ["-hide_banner", "-loglevel", "error", "-nostats", "-window_title", title]
    .concat(["-fflags", "nobuffer", "-flags", "low_delay", "-framedrop", "-autoexit"])
    .concat(["-use_wallclock_as_timestamps", "1", "-an", "-sn"])
    .concat(["-f", codec === "h264" ? "h264" : "mjpeg", "-i", "pipe:0"]);
}

export class Viewer implements FrameSink {
  readonly #ffplay: string;
  readonly #log: (line: string) => void;
  /** A window the user closed is not popped up again (ChildPerStream). */
  readonly #windows: ChildPerStream<Window>;
  readonly #env: Record<string, string | undefined>;
  /** The codec each participant's window shows (a window is opened for one codec). */
  readonly #codecs = new Map<number, "jpeg" | "h264">();

  constructor(ffplay: string, log: (line: string) => void, env = process.env) {
    this.#ffplay = ffplay;
    this.#log = log;
    this.#env = env;
    this.#windows = new ChildPerStream({
      open: (stream) => this.#open(stream, this.#codecs.get(stream.id) ?? "jpeg"),
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
    this.#windowFor(stream, "jpeg")?.writer.write(jpeg);
  }

  h264(stream: StreamInfo, unit: Uint8Array, _captureTimeMs: number, key: boolean): void {
    const window = this.#windowFor(stream, "h264");
    if (!window || (window.needsKey && !key)) return;
    window.needsKey = !window.writer.write(unit);
  }

  end(stream: StreamInfo): void {
    this.#codecs.delete(stream.id);
    this.#windows.end(stream.id);
  }

  /** The participant's window for `codec`: a sender that changes codec gets a new window. */
  #windowFor(stream: StreamInfo, codec: "jpeg" | "h264"): Window | null {
    const was = this.#codecs.get(stream.id);
    this.#codecs.set(stream.id, codec);
    if (was !== undefined && was !== codec) this.#windows.end(stream.id);
    return this.#windows.childOf(stream);
  }

  close(): Promise<void> {
    return this.#windows.close();
  }

  #open(stream: StreamInfo, codec: "jpeg" | "h264"): Window {
    const title = `framecast: ${stream.name}`;
    const process = Bun.spawn([this.#ffplay, ...viewArgs(title, codec)], {
      // Its own process group, so Ctrl-C reaches only us and we close every window in order.
      detached: true,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
      env: this.#env,
    });
    this.#log(
      `showing ${stream.name}${codec === "h264" ? " (H.264)" : ""} (ffplay pid ${process.pid})`,
    );
    const allowance = codec === "h264" ? H264_PIPE_ALLOWANCE_BYTES : 0;
    return { process, writer: new PipeWriter(process.stdin, allowance), codec, needsKey: true };
  }

  async #shut(window: Window): Promise<void> {
    await window.writer.end();
    // -autoexit makes ffplay leave at end of input; kill it if it lingers.
    await waitOrKill(window.process, 1500);
  }
}
