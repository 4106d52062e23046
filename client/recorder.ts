// --record DIR: one ffmpeg per participant muxing the received JPEGs, untouched (-c copy), into
// DIR/<name>-<id>.mkv with arrival-time timestamps. Ending stdin lets ffmpeg write the trailer.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitOrKill } from "./child-exit.ts";
import { PipeWriter } from "./pipe-writer.ts";
import { type FrameSink, fileSafeName, type StreamInfo } from "./streams.ts";

interface Recording {
  path: string;
  process: Subprocess<"pipe", "ignore", "pipe">;
  writer: PipeWriter;
  name: string;
}

export function recordArgs(path: string): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-use_wallclock_as_timestamps",
    "1",
  ].concat(["-f", "mjpeg", "-i", "pipe:0", "-c", "copy", "-f", "matroska", "-y", path]);
}

export class Recorder implements FrameSink {
  readonly #dir: string;
  readonly #ffmpeg: string;
  readonly #log: (line: string) => void;
  readonly #open = new Map<number, Recording>();
  readonly #finishing: Promise<void>[] = [];

  constructor(dir: string, ffmpeg: string, log: (line: string) => void) {
    this.#dir = dir;
    this.#ffmpeg = ffmpeg;
    this.#log = log;
    mkdirSync(dir, { recursive: true });
  }

  frame(stream: StreamInfo, jpeg: Uint8Array): void {
    let recording = this.#open.get(stream.id);
    if (!recording) {
      recording = this.#start(stream);
      this.#open.set(stream.id, recording);
    }
    recording.writer.write(jpeg);
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

  #start(stream: StreamInfo): Recording {
    const base = `${fileSafeName(stream.name)}-${stream.id}`;
    let path = join(this.#dir, `${base}.mkv`);
    // A reconnect can bring the same participant back: never overwrite an earlier file.
    for (let n = 2; existsSync(path); n++) path = join(this.#dir, `${base}-${n}.mkv`);
    const process = Bun.spawn([this.#ffmpeg, ...recordArgs(path)], {
      // Its own process group: a terminal Ctrl-C must not cut the file short; we end its stdin
      // on exit so it writes the Matroska index (and it sees EOF if we die).
      detached: true,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
    });
    this.#log(`recording ${stream.name} to ${path}`);
    return { path, process, writer: new PipeWriter(process.stdin), name: stream.name };
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
