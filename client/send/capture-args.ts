// ffmpeg command lines for each capture source, all writing concatenated JPEGs (-f mjpeg) to
// stdout. Pure functions, so tests can check them without a camera.
import type { LayerSize } from "../../protocol/index.ts";
import type { CaptureSource } from "../options.ts";
import {
  type AudioSource,
  audioInputArgs,
  audioOutputArgs,
  audioPipeFd,
  SYNC_PERIOD_SECONDS,
  SYNC_PULSE_SECONDS,
} from "./audio-source.ts";

export interface CaptureSettings {
  fps: number;
  width: number;
  height: number;
  quality: number;
  /**
   * Sizes sent, largest first (layer 0 is width x height). More than one: one ffmpeg run splits
   * the picture, scales each copy, and writes each layer's MJPEG to its own pipe (layerPipe).
   */
  layers?: readonly LayerSize[];
}

/** The file descriptor ffmpeg writes layer `id` to: stdout for the full size, then 3, 4. */
export function layerPipe(id: number): number {
  return id === 0 ? 1 : id + 2;
}

const COMMON = ["-hide_banner", "-nostdin", "-loglevel", "error"];

function encodeToStdout(settings: CaptureSettings, pipe = 1): string[] {
  // yuvj420p is the pixel format every MJPEG decoder (and jpeg-js) accepts.
  return ["-an", "-c:v", "mjpeg", "-q:v", String(settings.quality), "-pix_fmt", "yuvj420p"].concat([
    "-f",
    "mjpeg",
    `pipe:${pipe}`,
  ]);
}

/**
 * Outputs of a multi-layer run: `prepare` (fps/scale for files, or "") feeds a split into one
 * chain per layer. With `copyFull` (a camera's own MJPEG) layer 0 is the camera's bytes as they
 * are and only the smaller layers are decoded and scaled.
 */
function layerOutputs(settings: CaptureSettings, prepare: string, copyFull: boolean): string[] {
  const layers = settings.layers ?? [];
  const scaled = layers.slice(copyFull ? 1 : 0);
  const head = prepare ? `[0:v]${prepare},` : "[0:v]";
  const chains = scaled.map((layer, index) => {
    const id = copyFull ? index + 1 : index;
    const scale = id === 0 ? "null" : `scale=${layer.width}:${layer.height}:flags=area`;
    return `[s${id}]${scale}[l${id}]`;
  });
  const splits = scaled.map((_, index) => `[s${copyFull ? index + 1 : index}]`).join("");
  const graph = `${head}split=${scaled.length}${splits};${chains.join(";")}`;
  const args = ["-filter_complex", graph];
  if (copyFull) args.push("-map", "0:v", "-an", "-c:v", "copy", "-f", "mjpeg", "pipe:1");
  for (let id = copyFull ? 1 : 0; id < layers.length; id++) {
    args.push("-map", `[l${id}]`, ...encodeToStdout(settings, layerPipe(id)));
  }
  return args;
}

/**
 * One ffmpeg for everything captured: video (if any) as MJPEG on stdout (and layer pipes),
 * sound (if any) as Ogg Opus on the pipe after them (audioPipeFd). One process means one clock:
 * a flash and a beep made at the same instant stay in step, and both streams' stamps agree.
 */
export function captureArgs(
  source: CaptureSource | null,
  settings: CaptureSettings,
  cameraMjpeg = false,
  audio: AudioSource | null = null,
): string[] {
  if (source === null) {
    if (audio === null) throw new Error("nothing to capture");
    return COMMON.concat(audioInputArgs(audio), audioOutputArgs(0, audioPipeFd(0)));
  }
  const video = videoCaptureArgs(source, settings, cameraMjpeg);
  if (audio === null) return video;
  // Input options and inputs end at the video input's path; the audio input (index 1) goes
  // right after it, its output after the video's.
  const at = video.lastIndexOf("-i") + 2;
  const layers = Math.max(1, settings.layers?.length ?? 1);
  return video
    .slice(0, at)
    .concat(audioInputArgs(audio), video.slice(at), audioOutputArgs(1, audioPipeFd(layers)));
}

/**
 * `cameraMjpeg`: the camera itself offers MJPEG at the asked size, so its frames are copied
 * untouched (no decode/encode; --quality has no effect then).
 */
function videoCaptureArgs(
  source: CaptureSource,
  settings: CaptureSettings,
  cameraMjpeg: boolean,
): string[] {
  const size = `${settings.width}x${settings.height}`;
  if ((settings.layers?.length ?? 1) > 1) return layeredArgs(source, settings, cameraMjpeg);
  switch (source.kind) {
    case "test":
      // -re paces the synthetic source at its frame rate instead of as fast as possible.
      return COMMON.concat(
        ["-re", "-f", "lavfi", "-i", `testsrc=size=${size}:rate=${settings.fps}`],
        encodeToStdout(settings),
      );
    case "flash":
      return COMMON.concat(
        ["-re", "-f", "lavfi", "-i", flashSource(size, settings.fps)],
        encodeToStdout(settings),
      );
    case "file":
      return COMMON.concat(
        ["-re", "-stream_loop", "-1", "-i", source.path],
        ["-vf", `fps=${settings.fps},scale=${settings.width}:${settings.height}`],
        encodeToStdout(settings),
      );
    case "device": {
      const input = ["-f", "v4l2", "-framerate", String(settings.fps), "-video_size", size];
      if (cameraMjpeg) {
        return COMMON.concat(input, ["-input_format", "mjpeg", "-i", source.path]).concat([
          "-an",
          "-c:v",
          "copy",
          "-f",
          "mjpeg",
          "pipe:1",
        ]);
      }
      return COMMON.concat(input, ["-i", source.path], encodeToStdout(settings));
    }
  }
}

/** As captureArgs, for more than one layer: one process, one MJPEG output per layer. */
function layeredArgs(
  source: CaptureSource,
  settings: CaptureSettings,
  cameraMjpeg: boolean,
): string[] {
  const size = `${settings.width}x${settings.height}`;
  switch (source.kind) {
    case "test":
      return COMMON.concat(
        ["-re", "-f", "lavfi", "-i", `testsrc=size=${size}:rate=${settings.fps}`],
        layerOutputs(settings, "", false),
      );
    case "flash":
      return COMMON.concat(
        ["-re", "-f", "lavfi", "-i", flashSource(size, settings.fps)],
        layerOutputs(settings, "", false),
      );
    case "file":
      return COMMON.concat(
        ["-re", "-stream_loop", "-1", "-i", source.path],
        layerOutputs(
          settings,
          `fps=${settings.fps},scale=${settings.width}:${settings.height}`,
          false,
        ),
      );
    case "device": {
      const input = ["-f", "v4l2", "-framerate", String(settings.fps), "-video_size", size];
      if (cameraMjpeg) {
        return COMMON.concat(input, ["-input_format", "mjpeg", "-i", source.path]).concat(
          layerOutputs(settings, "", true),
        );
      }
      return COMMON.concat(input, ["-i", source.path], layerOutputs(settings, "", false));
    }
  }
}

/**
 * Black, and white for 0.1 s at the start of every second: with --audio-source beep the same
 * instants beep, which makes the A/V offset measurable end to end.
 */
function flashSource(size: string, fps: number): string {
  const flash = `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t,${SYNC_PERIOD_SECONDS}),${SYNC_PULSE_SECONDS})'`;
  return `color=c=black:size=${size}:rate=${fps},${flash}`;
}

/** Arguments that make ffmpeg list a V4L2 device's formats (on stderr) and exit. */
export function listFormatsArgs(device: string): string[] {
  return ["-hide_banner", "-nostdin", "-f", "v4l2", "-list_formats", "all", "-i", device];
}

/**
 * True when ffmpeg's `-list_formats all` output says the camera delivers MJPEG at width x height.
 * Lines look like "... Compressed: mjpeg : Motion-JPEG : 1280x720 640x480" or, for stepwise
 * cameras, "... : {32-1920, 2}x{32-1080, 2}".
 */
export function cameraOffersMjpeg(listing: string, width: number, height: number): boolean {
  for (const line of listing.split("\n")) {
    if (!/Compressed:\s*mjpeg\s*:/.test(line)) continue;
    const sizes = line.slice(line.lastIndexOf(":") + 1);
    if (sizes.split(/\s+/).includes(`${width}x${height}`)) return true;
    const step = /\{(\d+)-(\d+),\s*(\d+)\}x\{(\d+)-(\d+),\s*(\d+)\}/.exec(sizes);
    if (step) {
      const [minW, maxW, stepW, minH, maxH, stepH] = step.slice(1).map(Number) as number[] as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const fits = (n: number, min: number, max: number, by: number) =>
        n >= min && n <= max && (n - min) % by === 0;
      if (fits(width, minW, maxW, stepW) && fits(height, minH, maxH, stepH)) return true;
    }
  }
  return false;
}

export type CaptureProblem = "missing" | "busy" | "denied" | "not_a_camera" | null;

/** Recognises the device errors worth a plain sentence instead of ffmpeg's log lines. */
export function classifyCaptureError(stderr: string): CaptureProblem {
  if (/No such file or directory/i.test(stderr)) return "missing";
  if (/Device or resource busy/i.test(stderr)) return "busy";
  if (/Permission denied/i.test(stderr)) return "denied";
  if (/Inappropriate ioctl|Not a video capture device|Invalid argument/i.test(stderr)) {
    return "not_a_camera";
  }
  return null;
}

export function describeCaptureProblem(problem: CaptureProblem, device: string): string | null {
  switch (problem) {
    case "missing":
      return `camera ${device} does not exist (is it plugged in? ls /dev/video*)`;
    case "busy":
      return `camera ${device} is busy: another program is using it (close it and retry)`;
    case "denied":
      return `no permission to open ${device} (add yourself to the 'video' group)`;
    case "not_a_camera":
      return `${device} is not a video capture device`;
    default:
      return null;
  }
}
