// One encode of the test pattern as a sender makes it, measured: its bytes, its picture quality
// against the source (ffmpeg's `ssim` filter) and the CPU ffmpeg spent on it. MJPEG as the CLI
// sends it (client/send/capture-args.ts); H.264 as libx264 is run for kind 4.
import { statSync } from "node:fs";
import { join } from "node:path";
import { track } from "../harness/child-processes.ts";
import type { LayerSize } from "../protocol/index.ts";

export type Codec = "mjpeg" | "h264";

/** testsrc2 at 640x480, scaled to width x height (as the CLI scales a layer: flags=area). */
export interface SourceSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

export interface EncodeResult {
  codec: Codec;
  /** "-q:v 5" or "crf 31". */
  setting: string;
  /** That setting's number: -q:v for MJPEG, CRF for H.264. */
  value: number;
  width: number;
  height: number;
  frames: number;
  bytes: number;
  bytesPerFrame: number;
  mbitPerSecond: number;
  /** ssim filter's "All" (Y, U and V weighted) against the source. */
  ssim: number;
  /** ffmpeg's user+sys CPU (all threads) for this encode, less making and scaling the source. */
  cpuMsPerFrame: number;
}

const SOURCE_SIZE = "640x480";

function sourceInput(spec: SourceSpec): string[] {
  return [
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${SOURCE_SIZE}:rate=${spec.fps}:duration=${spec.seconds}`,
  ];
}

function scaleFilter(spec: SourceSpec): string {
  return `${SOURCE_SIZE}` === `${spec.width}x${spec.height}`
    ? "null"
    : `scale=${spec.width}:${spec.height}:flags=area`;
}

/** The CLI's MJPEG output (capture-args.ts encodeToStdout), to a file. */
export function mjpegOutput(quality: number, path: string): string[] {
  return [
    "-an",
    "-c:v",
    "mjpeg",
    "-q:v",
    String(quality),
    "-pix_fmt",
    "yuvj420p",
    "-f",
    "mjpeg",
    path,
  ];
}

/**
 * libx264 for kind 4 (docs/PROTOCOL.md "H.264 (kind 4)"): constrained baseline, no B-frames,
 * one AUD per access unit, SPS+PPS before every IDR, a key frame every second.
 */
export function h264Output(crf: number, fps: number, path: string): string[] {
  return [
    "-an",
    "-c:v",
    "libx264",
    "-profile:v",
    "baseline",
    "-preset",
    "veryfast",
    "-tune",
    "zerolatency",
    "-bf",
    "0",
    "-g",
    String(fps),
    "-x264-params",
    "aud=1:repeat-headers=1",
    "-crf",
    String(crf),
    "-pix_fmt",
    "yuv420p",
    "-f",
    "h264",
    path,
  ];
}

/** The machine is shared: every ffmpeg the bench runs yields to other work. */
const NICE = Bun.which("nice");

/** Runs ffmpeg to the end; its user+sys CPU seconds (from the process's resource usage) and stderr. */
async function runFfmpeg(ffmpeg: string, args: string[]): Promise<{ cpu: number; stderr: string }> {
  const command = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-y", ...args];
  const proc = track(
    Bun.spawn(NICE ? [NICE, "-n", "10", ...command] : command, {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    }),
  );
  const [stderr] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (proc.exitCode !== 0) {
    throw new Error(
      `ffmpeg ${args.join(" ")} failed: ${stderr.trim().split("\n").slice(-3).join(" ")}`,
    );
  }
  const usage = proc.resourceUsage();
  const cpu = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : Number.NaN;
  return { cpu, stderr };
}

/** CPU of making (and scaling) the source alone: what every encode's figure has in it too. */
export async function sourceCpuSeconds(ffmpeg: string, spec: SourceSpec): Promise<number> {
  const { cpu } = await runFfmpeg(ffmpeg, [
    ...sourceInput(spec),
    "-vf",
    scaleFilter(spec),
    "-f",
    "null",
    "-",
  ]);
  return cpu;
}

/** SSIM of an encoded file against the source, frame by frame (both renumbered 0, 1, 2 ...). */
async function ssimOf(ffmpeg: string, spec: SourceSpec, codec: Codec, path: string) {
  // Raw streams carry no timestamps (the h264 demuxer assumes 25 fps): pair frames by number.
  const pts = `settb=1/${spec.fps},setpts=N`;
  const { stderr } = await runFfmpeg(ffmpeg, [
    "-f",
    codec,
    "-i",
    path,
    ...sourceInput(spec),
    "-lavfi",
    `[0:v]${pts}[coded];[1:v]${scaleFilter(spec)},${pts}[source];[coded][source]ssim`,
    "-f",
    "null",
    "-",
  ]);
  const all = stderr.match(/SSIM Y:.* All:([0-9.]+)/);
  if (!all) throw new Error(`no SSIM in ffmpeg's output: ${stderr.trim().slice(-300)}`);
  return Number(all[1]);
}

/** Where measureEncode leaves its stream (raw MJPEG or Annex B, as a sender sends it). */
export function encodedPath(dir: string, size: LayerSize, codec: Codec, value: number): string {
  return join(dir, `${codec}-${size.width}x${size.height}-${value}.${codec}`);
}

/** Encodes the source with `codec` at `value` (-q:v for MJPEG, CRF for H.264) and measures it. */
export async function measureEncode(
  ffmpeg: string,
  spec: SourceSpec,
  codec: Codec,
  value: number,
  dir: string,
  sourceCpu: number,
): Promise<EncodeResult> {
  const path = encodedPath(dir, spec, codec, value);
  const output = codec === "mjpeg" ? mjpegOutput(value, path) : h264Output(value, spec.fps, path);
  const { cpu } = await runFfmpeg(ffmpeg, [
    ...sourceInput(spec),
    "-vf",
    scaleFilter(spec),
    ...output,
  ]);
  const bytes = statSync(path).size;
  const frames = Math.round(spec.seconds * spec.fps);
  return {
    codec,
    setting: codec === "mjpeg" ? `-q:v ${value}` : `crf ${value}`,
    value,
    width: spec.width,
    height: spec.height,
    frames,
    bytes,
    bytesPerFrame: bytes / frames,
    mbitPerSecond: (bytes * 8) / spec.seconds / 1e6,
    ssim: await ssimOf(ffmpeg, spec, codec, path),
    cpuMsPerFrame: (Math.max(0, cpu - sourceCpu) * 1000) / frames,
  };
}

/** H.264's CRF range searched: 10 is far better than any MJPEG, 51 is libx264's worst. */
const CRF_LOW = 10;
const CRF_HIGH = 51;

/**
 * The smallest H.264 (the highest CRF, bisected over whole CRF steps) whose SSIM is at least
 * `target`. `matched` false: even CRF_LOW misses it (the lowest-CRF encode is returned).
 */
export async function h264AtSsim(
  ffmpeg: string,
  spec: SourceSpec,
  target: number,
  dir: string,
  sourceCpu: number,
): Promise<{ result: EncodeResult; matched: boolean; tried: number }> {
  let tried = 0;
  const at = (crf: number) => {
    tried++;
    return measureEncode(ffmpeg, spec, "h264", crf, dir, sourceCpu);
  };
  let best = await at(CRF_LOW);
  if (best.ssim < target) return { result: best, matched: false, tried };
  // Invariant: CRF `low` reaches the target, `high` (unless never tried) does not.
  let low = CRF_LOW;
  let high = CRF_HIGH + 1;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    const result = await at(mid);
    if (result.ssim >= target) {
      low = mid;
      best = result;
    } else high = mid;
  }
  return { result: best, matched: true, tried };
}
