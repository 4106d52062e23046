// What a screen share sends (docs/BROWSER.md, "Screen sharing"): the captured surface at its own
// size (never cropped, at most MAX_SCREEN_SIDE on its longer side, even sides for H.264), at a
// low frame rate, one layer, JPEG at high quality and H.264 at a higher bitrate than a camera of
// the same size: text must stay legible, motion matters less. Pure, unit-tested.
import type { CaptureSettings } from "./capture-settings.ts";

/** Frames per second of a share: text changes seldom, each frame gets more bits. */
export const SCREEN_FPS = 5;
/** JPEG quality of a share (canvas.toBlob): text edges survive, 1280x720 text is ~100-250 kB. */
export const SCREEN_JPEG_QUALITY = 0.92;
/** H.264 bitrate of a share, as a multiple of a camera's at the same size (h264-config.ts). */
export const SCREEN_BITRATE_SCALE = 2;
/** Longest side sent; a larger surface (a 4K screen) is scaled down to fit. */
export const MAX_SCREEN_SIDE = 1920;

/** The capture settings for a surface of `width` x `height` pixels. */
export function screenCapture(width: number, height: number): CaptureSettings {
  const scale = Math.min(1, MAX_SCREEN_SIDE / Math.max(width, height, 1));
  // Even sides (H.264 4:2:0), at least 16 (the relay's smallest layer side).
  const side = (value: number) => Math.max(16, 2 * Math.round((value * scale) / 2));
  return {
    width: side(width),
    height: side(height),
    fps: SCREEN_FPS,
    quality: SCREEN_JPEG_QUALITY,
    layers: 1,
  };
}

/** A share's tile label. */
export function screenLabel(ownerName: string): string {
  return `${ownerName}'s screen`;
}
