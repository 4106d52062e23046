// ffmpeg command lines for each capture source, writing concatenated JPEGs (-f mjpeg) to stdout,
// or with --codec h264 an H.264 stream per layer plus a JPEG stream per layer (for receivers that
// can't decode H.264), all from one ffmpeg. Pure functions, so tests can check them without a camera.
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
  /** What is sent; "h264" also writes every layer as JPEG (videoOutputs). Default "jpeg". */
  codec?: VideoCodec;
}

export type VideoCodec = "jpeg" | "h264";
/** What a camera delivers compressed, copied as is when it fits (a raw camera: null). */
export type CameraFormat = "mjpeg" | "h264";

/** One video stream of a capture ffmpeg: which codec, which layer. */
export interface VideoOutput {
  codec: VideoCodec;
  layer: number;
}

/**
 * Every video stream the capture ffmpeg writes, in pipe order (outputPipe): JPEG layers; or
 * H.264 layers, then the same layers as JPEG, kept while some receiver can't decode H.264.
 */
export function videoOutputs(settings: CaptureSettings): VideoOutput[] {
  const count = Math.max(1, settings.layers?.length ?? 1);
  const layers = Array.from({ length: count }, (_, layer) => layer);
  const jpeg = layers.map((layer): VideoOutput => ({ codec: "jpeg", layer }));
  if (settings.codec !== "h264") return jpeg;
  return layers.map((layer): VideoOutput => ({ codec: "h264", layer })).concat(jpeg);
}

/** The fd ffmpeg writes video output `index` (videoOutputs) to: stdout, then 3, 4, ... */
export function outputPipe(index: number): number {
  return index === 0 ? 1 : index + 2;
}

/**
 * Upper bound of an H.264 layer's bitrate: about 0.1 bit per pixel, 460 kbit/s for 640x480 at
 * 15 fps (LiveKit and Jitsi send 0.45-0.8 Mbit/s for 360p-480p); CRF 23 below it.
 */
export function h264Kbps(width: number, height: number, fps: number): number {
  return Math.min(8000, Math.max(64, Math.round((width * height * fps * 0.1) / 1000)));
}

/**
 * libx264 for a call: no lookahead and no B-frames (zerolatency, -bf 0), a key frame at least
 * every second (a running ffmpeg can't be asked for one), an AUD before every access unit and
 * SPS+PPS before every IDR (receivers split on AUDs and start on any key frame), constrained
 * baseline 4:2:0 (what WebCodecs decoders take), flushed per picture.
 */
export function h264EncodeArgs(size: LayerSize, fps: number, pipe: number): string[] {
  const kbps = `${h264Kbps(size.width, size.height, fps)}k`;
  return ["-an", "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-bf", "0"]
    .concat(["-g", String(fps), "-profile:v", "baseline", "-pix_fmt", "yuv420p"])
    .concat(["-crf", "23", "-maxrate", kbps, "-bufsize", kbps])
    .concat(["-x264-params", "aud=1:repeat-headers=1", "-flush_packets", "1"])
    .concat(["-f", "h264", `pipe:${pipe}`]);
}

/**
 * A camera's own H.264, copied: an AUD inserted before each access unit (the splitter cuts on
 * them), SPS+PPS repeated before each key frame. Its key-frame interval is the camera's.
 */
function h264CopyArgs(pipe: number): string[] {
  return ["-map", "0:v", "-an", "-c:v", "copy"]
    .concat(["-bsf:v", "dump_extra=freq=keyframe,h264_metadata=aud=insert"])
    .concat(["-flush_packets", "1", "-f", "h264", `pipe:${pipe}`]);
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
  camera: boolean | CameraFormat | null = false,
  audio: AudioSource | null = null,
): string[] {
  if (source === null) {
    if (audio === null) throw new Error("nothing to capture");
    return COMMON.concat(audioInputArgs(audio), audioOutputArgs(0, audioPipeFd(0)));
  }
  const format = camera === true ? "mjpeg" : camera === false ? null : camera;
  const video =
    settings.codec === "h264"
      ? h264CaptureArgs(source, settings, format)
      : videoCaptureArgs(source, settings, format === "mjpeg");
  if (audio === null) return video;
  // Input options and inputs end at the video input's path; the audio input (index 1) goes
  // right after it, its output after the video's.
  const at = video.lastIndexOf("-i") + 2;
  const outputs = videoOutputs(settings).length;
  return video
    .slice(0, at)
    .concat(audioInputArgs(audio), video.slice(at), audioOutputArgs(1, audioPipeFd(outputs)));
}

/**
 * --codec h264: one ffmpeg, every layer as H.264 and as JPEG (videoOutputs order). Each layer
 * is scaled once and split in two, one copy per encoder. A camera's own MJPEG (or H.264) at the
 * capture size is copied for that codec's full-size output; the rest is decoded from it.
 */
function h264CaptureArgs(
  source: CaptureSource,
  settings: CaptureSettings,
  camera: CameraFormat | null,
): string[] {
  const size = `${settings.width}x${settings.height}`;
  let input: string[];
  let prepare = "";
  switch (source.kind) {
    case "test":
      input = ["-re", "-f", "lavfi", "-i", `testsrc=size=${size}:rate=${settings.fps}`];
      break;
    case "flash":
      input = ["-re", "-f", "lavfi", "-i", flashSource(size, settings.fps)];
      break;
    case "file":
      input = ["-re", "-stream_loop", "-1", "-i", source.path];
      prepare = `fps=${settings.fps},scale=${settings.width}:${settings.height}`;
      break;
    case "device":
      input = ["-f", "v4l2", "-framerate", String(settings.fps), "-video_size", size]
        .concat(camera ? ["-input_format", camera] : [])
        .concat(["-i", source.path]);
      break;
  }
  const layers: readonly LayerSize[] = settings.layers?.length
    ? settings.layers
    : [{ width: settings.width, height: settings.height }];
  const outputs = videoOutputs(settings);
  const copied = (output: VideoOutput) =>
    output.layer === 0 &&
    ((camera === "mjpeg" && output.codec === "jpeg") ||
      (camera === "h264" && output.codec === "h264"));
  // Per layer, the encoders that need decoded pictures of it.
  const users = layers.map((_, layer) =>
    outputs.filter((output) => output.layer === layer && !copied(output)),
  );
  const scaled = layers.map((_, layer) => layer).filter((layer) => users[layer]?.length);
  const head = `[0:v]${prepare ? `${prepare},` : ""}split=${scaled.length}${scaled.map((l) => `[s${l}]`).join("")}`;
  const chains = scaled.map((layer) => {
    const { width, height } = layers[layer] as LayerSize;
    const scale = layer === 0 ? "null" : `scale=${width}:${height}:flags=area`;
    const labels = (users[layer] as VideoOutput[]).map((o) => `[${o.codec}_${layer}]`);
    return `[s${layer}]${scale}${labels.length > 1 ? `,split=${labels.length}` : ""}${labels.join("")}`;
  });
  const args = COMMON.concat(input, ["-filter_complex", [head, ...chains].join(";")]);
  outputs.forEach((output, index) => {
    const pipe = outputPipe(index);
    if (copied(output)) {
      if (output.codec === "h264") args.push(...h264CopyArgs(pipe));
      else args.push("-map", "0:v", "-an", "-c:v", "copy", "-f", "mjpeg", `pipe:${pipe}`);
      return;
    }
    args.push("-map", `[${output.codec}_${output.layer}]`);
    if (output.codec === "h264") {
      args.push(...h264EncodeArgs(layers[output.layer] as LayerSize, settings.fps, pipe));
    } else {
      args.push(...encodeToStdout(settings, pipe));
    }
  });
  return args;
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
  return cameraOffers(listing, "mjpeg", width, height);
}

/** As cameraOffersMjpeg, for any compressed format ("... Compressed: h264 : H.264 : ..."). */
export function cameraOffers(
  listing: string,
  format: CameraFormat,
  width: number,
  height: number,
): boolean {
  const pattern = new RegExp(`Compressed:\\s*${format}\\s*:`);
  for (const line of listing.split("\n")) {
    if (!pattern.test(line)) continue;
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

/** Arguments that make ffmpeg list its encoders (on stdout) and exit. */
export const LIST_ENCODERS_ARGS = ["-hide_banner", "-encoders"];

/** True when ffmpeg's `-encoders` listing has libx264 (" V....D libx264  libx264 H.264 ..."). */
export function listsLibx264(listing: string): boolean {
  return /^\s*V\S*\s+libx264\s/m.test(listing);
}
