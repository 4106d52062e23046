// --record DIR: one ffmpeg per participant muxing the received JPEGs, untouched (-c copy), into
// DIR/<name>-<id>.mkv at a constant frame rate: the sender's, measured from its first second of
// frames (Matroska declares it up front, and ffprobe's r_frame_rate reports it). Each frame goes
// to the slot of the frame grid its capture time falls in (arrival time on the old protocol):
// a gap is filled by repeating the previous frame, so the file keeps real time; a frame early
// for its slot is dropped. Ending stdin lets ffmpeg write the trailer.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitOrKill } from "./child-exit.ts";
import { estimateFps, FRAMES_TO_ESTIMATE, MAX_WAIT_MS } from "./frame-rate-estimate.ts";
import { PipeWriter } from "./pipe-writer.ts";
import { type FrameSink, fileSafeName, type StreamInfo } from "./streams.ts";

/** Longest gap filled with repeats; a longer pause (camera off) is shortened to this. */
const MAX_FILL_SECONDS = 5;

interface Timed {
  jpeg: Uint8Array;
  /** Capture time, or arrival time when the sender gives none (ms since the epoch). */
  timeMs: number;
}

interface Recording {
  stream: StreamInfo;
  path: string;
  /** Null until the frame rate is known (the first frames wait in `pending`). */
  output: { process: Subprocess<"pipe", "ignore", "pipe">; writer: PipeWriter; fps: number } | null;
  pending: Timed[];
  firstAtMs: number;
  /** Time of grid slot 0. */
  originMs: number;
  /** Frames in the file so far: the next frame's slot. */
  frames: number;
  /** Frames that could not be written (the disk, or ffmpeg, was too slow). */
  dropped: number;
  last: Uint8Array | null;
}

/** What the status line shows for a stream being recorded. */
export interface RecordingProgress {
  path: string;
  frames: number;
  /** Null while the frame rate is being measured. */
  fps: number | null;
}

export function recordArgs(path: string, fps: number): string[] {
  return ["-hide_banner", "-nostdin", "-loglevel", "error"].concat([
    "-f",
    "mjpeg",
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
  readonly #finishing: Promise<void>[] = [];

  constructor(dir: string, ffmpeg: string, log: (line: string) => void, fallbackFps = 15) {
    this.#dir = dir;
    this.#ffmpeg = ffmpeg;
    this.#log = log;
    this.#fallbackFps = fallbackFps;
    mkdirSync(dir, { recursive: true });
  }

  frame(stream: StreamInfo, jpeg: Uint8Array, captureTimeMs: number | null = null): void {
    const now = performance.timeOrigin + performance.now();
    let recording = this.#open.get(stream.id);
    if (!recording) {
      recording = this.#create(stream, now);
      this.#open.set(stream.id, recording);
    }
    const frame = { jpeg: jpeg.slice(), timeMs: captureTimeMs ?? now };
    if (recording.output) {
      this.#place(recording, frame);
      return;
    }
    recording.pending.push(frame);
    const enough =
      recording.pending.length >= FRAMES_TO_ESTIMATE || now - recording.firstAtMs >= MAX_WAIT_MS;
    if (enough) this.#begin(recording);
  }

  end(stream: StreamInfo): void {
    const recording = this.#open.get(stream.id);
    if (!recording) return;
    this.#open.delete(stream.id);
    this.#finishing.push(this.#finish(recording));
  }

  async close(): Promise<void> {
    for (const recording of this.#open.values()) this.#finishing.push(this.#finish(recording));
    this.#open.clear();
    await Promise.all(this.#finishing);
  }

  /** For the status line: where a stream goes and how many frames are written. */
  progress(id: number): RecordingProgress | null {
    const recording = this.#open.get(id);
    if (!recording) return null;
    return {
      path: recording.path,
      frames: recording.frames,
      fps: recording.output?.fps ?? null,
    };
  }

  #create(stream: StreamInfo, now: number): Recording {
    const base = `${fileSafeName(stream.name)}-${stream.id}`;
    let path = join(this.#dir, `${base}.mkv`);
    // A reconnect can bring the same participant back: never overwrite an earlier file.
    for (let n = 2; existsSync(path); n++) path = join(this.#dir, `${base}-${n}.mkv`);
    this.#log(`recording ${stream.name} to ${path}`);
    return {
      stream,
      path,
      output: null,
      pending: [],
      firstAtMs: now,
      originMs: 0,
      frames: 0,
      dropped: 0,
      last: null,
    };
  }

  /** The rate is known (or the stream ended): open the file and place the waiting frames. */
  #begin(recording: Recording): void {
    const fps = estimateFps(recording.pending.map((frame) => frame.timeMs)) ?? this.#fallbackFps;
    const process = Bun.spawn([this.#ffmpeg, ...recordArgs(recording.path, fps)], {
      // Its own process group: a terminal Ctrl-C must not cut the file short; we end its stdin
      // on exit so it writes the Matroska index (and it sees EOF if we die).
      detached: true,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
    });
    recording.output = { process, writer: new PipeWriter(process.stdin), fps };
    recording.originMs = recording.pending[0]?.timeMs ?? 0;
    const waiting = recording.pending;
    recording.pending = [];
    for (const frame of waiting) this.#place(recording, frame);
  }

  /** Writes `frame` into its slot of the grid, repeating the previous frame over a gap. */
  #place(recording: Recording, frame: Timed): void {
    const output = recording.output;
    if (!output) return;
    const slot = Math.round(((frame.timeMs - recording.originMs) * output.fps) / 1000);
    // Up to one slot early is jitter: it takes the next slot. Earlier than that: a frame too many.
    if (slot < recording.frames - 1) return;
    const maxFill = MAX_FILL_SECONDS * output.fps;
    const repeats = recording.last ? Math.min(maxFill, Math.max(0, slot - recording.frames)) : 0;
    if (slot - recording.frames > maxFill) {
      // A long pause: the timeline continues after the shortened gap.
      recording.originMs += ((slot - recording.frames - maxFill) * 1000) / output.fps;
    }
    const parts = [...Array<Uint8Array>(repeats).fill(recording.last ?? frame.jpeg), frame.jpeg];
    // One write for the repeats and the frame: they land in the file together or not at all.
    if (output.writer.write(parts.length === 1 ? frame.jpeg : concat(parts))) {
      recording.frames += parts.length;
    } else {
      recording.dropped += parts.length;
    }
    recording.last = frame.jpeg;
  }

  async #finish(recording: Recording): Promise<void> {
    if (!recording.output) this.#begin(recording);
    const output = recording.output;
    if (!output) return;
    await output.writer.end();
    const code = await waitOrKill(output.process, 5000);
    const stderr = (await new Response(output.process.stderr).text()).trim();
    this.#log(
      `recorded ${recording.frames} frames of ${recording.stream.name} to ${recording.path} ` +
        `(${output.fps} fps)` +
        (recording.dropped > 0 ? `, ${recording.dropped} dropped: disk too slow` : "") +
        (code === 0 ? "" : `; ffmpeg exit code ${code}${stderr ? `: ${stderr}` : ""}`),
    );
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
