// Runs ffmpeg as the frame source: reads its MJPEG stdout through the splitter, keeps the last
// stderr lines for error reports, and restarts it with backoff when it dies (camera unplugged).
import { closeSync } from "node:fs";
import type { Subprocess } from "bun";
import { Backoff, cancellableSleep } from "../../client-core/backoff.ts";
import type { CaptureSource } from "../options.ts";
import { AudioClock } from "./audio-clock.ts";
import { type AudioSource, audioPipeFd } from "./audio-source.ts";
import {
  type CameraFormat,
  type CaptureSettings,
  cameraOffers,
  captureArgs,
  classifyCaptureError,
  describeCaptureProblem,
  listFormatsArgs,
  outputPipe,
  type VideoOutput,
  videoOutputs,
} from "./capture-args.ts";
import { FrameClock } from "./frame-clock.ts";
import { H264Splitter } from "./h264-splitter.ts";
import { MjpegSplitter } from "./mjpeg-splitter.ts";
import { OggOpusReader } from "./ogg-opus.ts";

export interface CaptureOptions {
  ffmpeg: string;
  /** Video source; null captures sound only. */
  source: CaptureSource | null;
  /** Sound source, captured by the same ffmpeg (one clock for both); null for none. */
  audio?: AudioSource | null;
  /** Called for every Opus packet (20 ms) with its capture time (ms since epoch). */
  onAudio?: (packet: Uint8Array, captureTimeMs: number) => void;
  settings: CaptureSettings;
  /** Bytes reserved before each frame for the sender's header (see MjpegSplitter). */
  headroom: number;
  maxFrameBytes?: number;
  /**
   * Called on the main thread for every whole frame with its capture time (ms since epoch) and
   * layer (0 = full size; the k-th frames of all layers are the same picture).
   */
  onFrame: (jpeg: Uint8Array, captureTimeMs: number, layer: number) => void;
  /** With settings.codec "h264": every H.264 access unit, as onFrame (and with headroom too). */
  onH264?: (unit: Uint8Array, captureTimeMs: number, layer: number, key: boolean) => void;
  log: (line: string) => void;
  /** Capture can't work and retrying won't help (no such camera, busy, bad file). */
  onFatal: (message: string) => void;
}

const STDERR_LINES_KEPT = 8;
/** A run that lasted this long counts as healthy: the next failure starts backoff afresh. */
const HEALTHY_RUN_MS = 10_000;

export class Capture {
  readonly #options: CaptureOptions;
  readonly #backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  #process: Subprocess | null = null;
  #stopping = false;
  #cancelSleep: () => void = () => {};
  #loop: Promise<void> | null = null;
  #everProducedFrame = false;
  framesCaptured = 0;
  audioPacketsCaptured = 0;
  restarts = 0;
  readonly #audioClock = new AudioClock();
  #resolveFirstFrame: () => void = () => {};
  /** Resolves when the source delivers its first frame (the session joins the room then). */
  readonly firstFrame: Promise<void> = new Promise((resolve) => {
    this.#resolveFirstFrame = resolve;
  });

  constructor(options: CaptureOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Pid of the running ffmpeg (null between restarts). */
  get pid(): number | null {
    const process = this.#process;
    return process && process.exitCode === null && process.signalCode === null ? process.pid : null;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#cancelSleep();
    const process = this.#process;
    if (process && process.exitCode === null) {
      process.kill("SIGTERM");
      const killTimer = setTimeout(() => process.kill("SIGKILL"), 2000);
      await process.exited;
      clearTimeout(killTimer);
    }
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { source, settings } = this.#options;
    let camera: CameraFormat | null = null;
    if (source?.kind === "device") {
      const probe = await this.#probeDevice(source.path);
      if (probe === undefined) return;
      camera = probe;
      const h264 = settings.codec === "h264";
      const encoding = h264 ? "H.264 (and MJPEG)" : "MJPEG";
      this.#options.log(
        camera
          ? `camera ${source.path} delivers ${camera === "h264" ? "H.264" : "MJPEG"} at ` +
              `${settings.width}x${settings.height}: copying it as is` +
              (h264 ? "; the other streams are encoded by ffmpeg" : "")
          : `camera ${source.path}: encoding to ${encoding} with ffmpeg`,
      );
    }
    const args = captureArgs(source, settings, camera, this.#options.audio ?? null);
    while (!this.#stopping) {
      const startedAt = Date.now();
      const framesBefore = this.framesCaptured + this.audioPacketsCaptured;
      const { exitCode, stderrTail } = await this.#runOnce(args);
      if (this.#stopping) return;
      const producedFrames = this.framesCaptured + this.audioPacketsCaptured > framesBefore;
      const problem = source?.kind === "device" ? classifyCaptureError(stderrTail) : null;
      const plain = source?.kind === "device" ? describeCaptureProblem(problem, source.path) : null;
      if (!this.#everProducedFrame) {
        // Never worked in this session: retrying won't fix a missing camera or a bad file.
        this.#options.onFatal(
          plain ?? `ffmpeg exited (code ${exitCode}) before sending a frame:\n${stderrTail}`,
        );
        return;
      }
      if (producedFrames && Date.now() - startedAt > HEALTHY_RUN_MS) this.#backoff.reset();
      const delay = this.#backoff.next();
      this.#options.log(
        `capture stopped (ffmpeg exit code ${exitCode})${plain ? `: ${plain}` : ""}` +
          `${stderrTail ? `; ffmpeg said:\n${indent(stderrTail)}` : ""}\n` +
          `restarting capture in ${(delay / 1000).toFixed(1)} s`,
      );
      const sleep = cancellableSleep(delay);
      this.#cancelSleep = sleep.cancel;
      await sleep.done;
      this.restarts++;
    }
  }

  /**
   * What the camera offers compressed at the asked size, copied as is: its H.264 with --codec
   * h264, else its MJPEG; null for neither; undefined after a fatal report.
   */
  async #probeDevice(device: string): Promise<CameraFormat | null | undefined> {
    const probe = Bun.spawn([this.#options.ffmpeg, ...listFormatsArgs(device)], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    const listing = await new Response(probe.stderr).text();
    await probe.exited;
    const problem = classifyCaptureError(listing);
    if (problem) {
      this.#options.onFatal(describeCaptureProblem(problem, device) as string);
      return undefined;
    }
    const { width, height, codec } = this.#options.settings;
    if (codec === "h264" && cameraOffers(listing, "h264", width, height)) return "h264";
    return cameraOffers(listing, "mjpeg", width, height) ? "mjpeg" : null;
  }

  async #runOnce(args: string[]): Promise<{ exitCode: number | null; stderrTail: string }> {
    const videos = this.#options.source ? videoOutputs(this.#options.settings) : [];
    const layers = videos.length;
    const withAudio = Boolean(this.#options.audio);
    // The first video output on stdout, the others on fds 3, 4, ... (capture-args.ts,
    // outputPipe), the Ogg Opus sound after them (audio-source.ts, audioPipeFd).
    const extra = Array.from(
      { length: Math.max(0, layers - 1) + (withAudio ? 1 : 0) },
      () => "pipe" as const,
    );
    const process = Bun.spawn([this.#options.ffmpeg, ...args], {
      stdio: ["ignore", "pipe", "pipe", ...extra],
    });
    this.#process = process;
    const outputs: ReadableStream<Uint8Array>[] =
      layers > 0 ? [process.stdout as ReadableStream<Uint8Array>] : [];
    // Bun hands us these fds to own: closed once ffmpeg is done with them.
    const fds = process.stdio.slice(3) as unknown as number[];
    for (let index = 1; index < layers; index++) {
      outputs.push(Bun.file(process.stdio[outputPipe(index)] as unknown as number).stream());
    }
    const audioFd = withAudio ? (process.stdio[audioPipeFd(layers)] as unknown as number) : null;
    // With sound in the same ffmpeg, pictures come in bursts: stamp them on a smooth clock.
    const frameClock = withAudio ? new FrameClock(1000 / this.#options.settings.fps) : null;
    const stderr = collectTail(process.stderr as ReadableStream<Uint8Array>, STDERR_LINES_KEPT);
    try {
      await Promise.all([
        ...outputs.map((output, index) =>
          videos[index]?.codec === "h264"
            ? this.#readH264(output, videos[index] as VideoOutput, frameClock, index === 0)
            : this.#readLayer(output, videos[index]?.layer ?? 0, frameClock, index === 0),
        ),
        audioFd === null ? undefined : this.#readAudio(audioFd),
      ]);
    } finally {
      for (const fd of fds) closeQuietly(fd);
    }
    const exitCode = await process.exited;
    return { exitCode, stderrTail: await stderr };
  }

  /** Splits ffmpeg's Ogg Opus output into packets, each stamped by the audio clock. */
  async #readAudio(fd: number): Promise<void> {
    let clockSet = false;
    const reader = new OggOpusReader(({ data, granule }) => {
      if (!clockSet) {
        this.#audioClock.reset(reader.head?.preSkip ?? 0);
        clockSet = true;
      }
      this.audioPacketsCaptured++;
      this.#everProducedFrame = true;
      this.#resolveFirstFrame();
      const now = performance.timeOrigin + performance.now();
      this.#options.onAudio?.(data, this.#audioClock.stamp(granule, now));
    });
    try {
      for await (const chunk of Bun.file(fd).stream()) reader.push(chunk);
    } catch (error) {
      this.#options.log(`audio capture: ${error instanceof Error ? error.message : error}`);
    }
  }

  /** One H.264 output: access units cut on AUDs, each stamped when its last byte came. */
  async #readH264(
    output: ReadableStream<Uint8Array>,
    { layer }: VideoOutput,
    clock: FrameClock | null,
    counted: boolean,
  ): Promise<void> {
    let index = 0;
    const splitter = new H264Splitter({
      headroom: this.#options.headroom,
      maxUnitBytes: this.#options.maxFrameBytes,
      onUnit: (unit, key, timeMs) => {
        if (counted) this.framesCaptured++;
        this.#everProducedFrame = true;
        this.#resolveFirstFrame();
        const stamp = clock ? clock.stamp(index, timeMs) : timeMs;
        index++;
        this.#options.onH264?.(unit, stamp, layer, key);
      },
      onDrop: (bytes) =>
        this.#options.log(
          `capture: dropped an H.264 frame of layer ${layer} after ${Math.round(bytes / 1024)} kB ` +
            "(and what follows up to the next key frame)",
        ),
    });
    for await (const chunk of output)
      splitter.push(chunk, performance.timeOrigin + performance.now());
    splitter.flush();
  }

  async #readLayer(
    output: ReadableStream<Uint8Array>,
    layer: number,
    clock: FrameClock | null,
    counted: boolean,
  ): Promise<void> {
    let chunkTime = 0;
    let index = 0;
    const splitter = new MjpegSplitter({
      headroom: this.#options.headroom,
      maxFrameBytes: this.#options.maxFrameBytes,
      onFrame: (jpeg) => {
        if (counted) this.framesCaptured++;
        this.#everProducedFrame = true;
        this.#resolveFirstFrame();
        const stamp = clock ? clock.stamp(index, chunkTime) : chunkTime;
        index++;
        this.#options.onFrame(jpeg, stamp, layer);
      },
      onDrop: (reason, bytes) =>
        this.#options.log(
          `capture: dropped a ${reason} frame of layer ${layer} after ${Math.round(bytes / 1024)} kB`,
        ),
    });
    for await (const chunk of output) {
      // A frame is stamped when its last byte arrives from ffmpeg: the closest we get to capture.
      chunkTime = performance.timeOrigin + performance.now();
      splitter.push(chunk);
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed by the stream
  }
}

async function collectTail(stream: ReadableStream<Uint8Array>, keep: number): Promise<string> {
  const decoder = new TextDecoder();
  let lines: string[] = [];
  let partial = "";
  for await (const chunk of stream) {
    const text = partial + decoder.decode(chunk, { stream: true });
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    lines = lines.concat(parts.filter((line) => line.trim() !== "")).slice(-keep);
  }
  if (partial.trim() !== "") lines = lines.concat(partial).slice(-keep);
  return lines.join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
