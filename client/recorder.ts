// --record DIR: one ffmpeg per participant muxing the received JPEGs, untouched (-c copy), into
// DIR/<name>-<id>.mkv with arrival-time timestamps. Ending stdin lets ffmpeg write the trailer.
// The file is opened once the stream's frame rate is known from its first frames (Matroska
// records it up front); of the frames that taught us the rate, only the newest is kept, since
// written together they would all get the same arrival time.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitOrKill } from "./child-exit.ts";
import { estimateFps, FRAMES_TO_ESTIMATE, MAX_WAIT_MS } from "./frame-rate-estimate.ts";
import { PipeWriter } from "./pipe-writer.ts";
import { type FrameSink, fileSafeName, type StreamInfo } from "./streams.ts";

interface Recording {
  path: string;
  process: Subprocess<"pipe", "ignore", "pipe">;
  writer: PipeWriter;
  name: string;
  fps: number;
}

/** A stream whose first frames are in, its rate not yet known. */
interface Pending {
  stream: StreamInfo;
  firstAtMs: number;
  times: number[];
  newest: Uint8Array;
}

/** What the status line shows for a stream being recorded. */
export interface RecordingProgress {
  path: string | null;
  frames: number;
  fps: number | null;
}

export function recordArgs(path: string, fps: number): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-use_wallclock_as_timestamps",
    "1",
  ].concat([
    "-f",
    "mjpeg",
    // Only the rate the file declares: timestamps stay the frames' arrival times.
    "-framerate",
    String(fps),
    "-i",
    "pipe:0",
    "-c",
    "copy",
    "-f",
    "matroska",
    "-y",
    path,
  ]);
}

export class Recorder implements FrameSink {
  readonly #dir: string;
  readonly #ffmpeg: string;
  readonly #log: (line: string) => void;
  /** Used when a stream ends before it showed a rate (a single frame). */
  readonly #fallbackFps: number;
  readonly #open = new Map<number, Recording>();
  readonly #pending = new Map<number, Pending>();
  readonly #finishing: Promise<void>[] = [];

  constructor(dir: string, ffmpeg: string, log: (line: string) => void, fallbackFps = 15) {
    this.#dir = dir;
    this.#ffmpeg = ffmpeg;
    this.#log = log;
    this.#fallbackFps = fallbackFps;
    mkdirSync(dir, { recursive: true });
  }

  frame(stream: StreamInfo, jpeg: Uint8Array, captureTimeMs: number | null = null): void {
    const recording = this.#open.get(stream.id);
    if (recording) {
      recording.writer.write(jpeg);
      return;
    }
    const now = performance.now();
    let pending = this.#pending.get(stream.id);
    if (!pending) {
      pending = { stream, firstAtMs: now, times: [], newest: jpeg };
      this.#pending.set(stream.id, pending);
    }
    pending.times.push(captureTimeMs ?? performance.timeOrigin + now);
    pending.newest = jpeg.slice();
    const enough =
      pending.times.length >= FRAMES_TO_ESTIMATE || now - pending.firstAtMs >= MAX_WAIT_MS;
    if (enough) this.#begin(pending);
  }

  end(stream: StreamInfo): void {
    const pending = this.#pending.get(stream.id);
    if (pending) this.#begin(pending);
    const recording = this.#open.get(stream.id);
    if (!recording) return;
    this.#open.delete(stream.id);
    this.#finishing.push(this.#finish(recording));
  }

  async close(): Promise<void> {
    for (const pending of [...this.#pending.values()]) this.#begin(pending);
    for (const recording of this.#open.values()) this.#finishing.push(this.#finish(recording));
    this.#open.clear();
    await Promise.all(this.#finishing);
  }

  /** For the status line: where a stream goes and how many frames are written. */
  progress(id: number): RecordingProgress | null {
    const recording = this.#open.get(id);
    if (recording)
      return { path: recording.path, frames: recording.writer.written, fps: recording.fps };
    return this.#pending.has(id) ? { path: null, frames: 0, fps: null } : null;
  }

  #begin(pending: Pending): void {
    const { stream } = pending;
    this.#pending.delete(stream.id);
    const fps = estimateFps(pending.times) ?? this.#fallbackFps;
    const recording = this.#start(stream, fps);
    this.#open.set(stream.id, recording);
    recording.writer.write(pending.newest);
  }

  #start(stream: StreamInfo, fps: number): Recording {
    const base = `${fileSafeName(stream.name)}-${stream.id}`;
    let path = join(this.#dir, `${base}.mkv`);
    // A reconnect can bring the same participant back: never overwrite an earlier file.
    for (let n = 2; existsSync(path); n++) path = join(this.#dir, `${base}-${n}.mkv`);
    const process = Bun.spawn([this.#ffmpeg, ...recordArgs(path, fps)], {
      // Its own process group: a terminal Ctrl-C must not cut the file short; we end its stdin
      // on exit so it writes the Matroska index (and it sees EOF if we die).
      detached: true,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
    });
    this.#log(`recording ${stream.name} to ${path} (${fps} fps)`);
    return { path, process, writer: new PipeWriter(process.stdin), name: stream.name, fps };
  }

  async #finish(recording: Recording): Promise<void> {
    await recording.writer.end();
    const code = await waitOrKill(recording.process, 5000);
    const stderr = (await new Response(recording.process.stderr).text()).trim();
    const { written, dropped } = recording.writer;
    this.#log(
      `recorded ${written} frames of ${recording.name} to ${recording.path}` +
        (dropped > 0 ? ` (${dropped} dropped: disk too slow)` : "") +
        (code === 0 ? "" : `; ffmpeg exit code ${code}${stderr ? `: ${stderr}` : ""}`),
    );
  }
}
