// What the page's H.264 encoder is told, per layer size (docs/BROWSER.md, "Video codec"): pure
// choices, unit-tested. Constrained baseline (every decoder has it, no B-frames, so frames come
// out in the order they went in), the smallest level that fits the size and rate, and a bitrate
// for real cameras: the figures LiveKit's presets use (90 kbit/s at 160x90 up to 1.7 Mbit/s at
// 1280x720; Jitsi is close), not Chromium's flat fake camera.

import type { LayerSize } from "../../protocol/index.ts";

/** profile_idc 66 (baseline) with constraint_set0+1 (constrained baseline): "avc1.42E0LL". */
const CONSTRAINED_BASELINE = "42E0";

/** H.264 levels (table A-1): largest frame in macroblocks, macroblocks per second. */
const LEVELS: readonly { idc: number; frameMbs: number; mbsPerSecond: number }[] = [
  { idc: 0x0d, frameMbs: 396, mbsPerSecond: 11_880 }, // 1.3
  { idc: 0x15, frameMbs: 792, mbsPerSecond: 19_800 }, // 2.1
  { idc: 0x1e, frameMbs: 1_620, mbsPerSecond: 40_500 }, // 3.0
  { idc: 0x1f, frameMbs: 3_600, mbsPerSecond: 108_000 }, // 3.1
  { idc: 0x28, frameMbs: 8_192, mbsPerSecond: 245_760 }, // 4.0
  { idc: 0x32, frameMbs: 22_080, mbsPerSecond: 589_824 }, // 5.0
];

/** level_idc of the smallest level that holds `size` at `fps`. */
export function h264Level(size: LayerSize, fps: number): number {
  const frameMbs = Math.ceil(size.width / 16) * Math.ceil(size.height / 16);
  const level = LEVELS.find((l) => frameMbs <= l.frameMbs && frameMbs * fps <= l.mbsPerSecond);
  return (level ?? (LEVELS.at(-1) as (typeof LEVELS)[number])).idc;
}

/** The encoder's codec string for a layer: constrained baseline at its level, e.g. avc1.42E01E. */
export function h264Codec(size: LayerSize, fps: number): string {
  const level = h264Level(size, fps).toString(16).toUpperCase().padStart(2, "0");
  return `avc1.${CONSTRAINED_BASELINE}${level}`;
}

/** Bits per second by picture size (pixels), from the SFUs' camera presets; between, log-linear. */
const BITRATE_POINTS: readonly [pixels: number, bitsPerSecond: number][] = [
  [160 * 90, 90_000],
  [320 * 180, 160_000],
  [640 * 360, 450_000],
  [960 * 540, 800_000],
  [1280 * 720, 1_700_000],
  [1920 * 1080, 3_000_000],
];

/**
 * The target bitrate for a layer: 640x480 ≈ 550 kbit/s, 320x240 ≈ 200 kbit/s. The rate of a
 * camera at 15 and 30 fps is about the same (the presets don't scale with fps either): each frame
 * at 15 fps just gets twice the bits.
 */
export function h264Bitrate(size: LayerSize): number {
  const pixels = size.width * size.height;
  const first = BITRATE_POINTS[0] as [number, number];
  const last = BITRATE_POINTS.at(-1) as [number, number];
  if (pixels <= first[0]) return Math.round((first[1] * pixels) / first[0]);
  if (pixels >= last[0]) return Math.round((last[1] * pixels) / last[0]);
  for (let i = 1; i < BITRATE_POINTS.length; i++) {
    const [p1, b1] = BITRATE_POINTS[i] as [number, number];
    if (pixels > p1) continue;
    const [p0, b0] = BITRATE_POINTS[i - 1] as [number, number];
    const t = Math.log(pixels / p0) / Math.log(p1 / p0);
    return Math.round(b0 * (b1 / b0) ** t);
  }
  return last[1];
}

/** Temporal scalability asked for where the encoder supports it (docs/PROTOCOL.md, bits 4-5). */
export const TEMPORAL_MODE = "L1T3";

/** The VideoEncoder config of one layer (with or without temporal layers). */
export function h264EncoderConfig(
  size: LayerSize,
  fps: number,
  temporal: boolean,
  /** More bits than a camera's (a screen share: screen-settings.ts). */
  bitrateScale = 1,
): VideoEncoderConfig {
  return {
    codec: h264Codec(size, fps),
    width: size.width,
    height: size.height,
    bitrate: Math.round(h264Bitrate(size) * bitrateScale),
    framerate: fps,
    // "realtime": the encoder keeps up with the camera instead of holding frames for quality.
    latencyMode: "realtime",
    // Start codes, and SPS+PPS in front of every IDR: receivers need no out-of-band description.
    avc: { format: "annexb" },
    // "prefer-hardware" makes headless Linux Chromium refuse every codec.
    hardwareAcceleration: "no-preference",
    ...(temporal ? { scalabilityMode: TEMPORAL_MODE } : {}),
  };
}
