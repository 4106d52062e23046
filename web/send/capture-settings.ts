// What the camera sender produces: frame size, rate and JPEG quality, with the choices the page
// offers and the parsing of remembered values (anything unknown falls back to a default).

export interface CaptureSettings {
  width: number;
  height: number;
  fps: number;
  /** JPEG quality for canvas.toBlob, 0 to 1. */
  quality: number;
  /** Sizes sent (client-core/layer-choice.ts, layerLadder): 1 = full only, 2 = + quarter, 3 = + half. */
  layers: number;
}

export const LAYER_CHOICES = [1, 2, 3] as const;

export const SIZE_CHOICES = ["320x240", "640x480", "960x540", "1280x720"] as const;
export const FPS_CHOICES = [5, 10, 15, 24, 30] as const;
export const QUALITY_MIN = 0.3;
export const QUALITY_MAX = 0.95;

export const DEFAULT_CAPTURE: CaptureSettings = {
  width: 640,
  height: 480,
  fps: 15,
  quality: 0.7,
  layers: 2,
};

export function parseLayerCount(value: unknown): number | null {
  const count = Number(value);
  return (LAYER_CHOICES as readonly number[]).includes(count) ? count : null;
}

/** "640x480" → [640, 480], or null when it isn't one of SIZE_CHOICES. */
export function parseSize(text: string): [number, number] | null {
  if (!(SIZE_CHOICES as readonly string[]).includes(text)) return null;
  const [width, height] = text.split("x").map(Number);
  return width && height ? [width, height] : null;
}

export function sizeText(settings: Pick<CaptureSettings, "width" | "height">): string {
  return `${settings.width}x${settings.height}`;
}

export function parseFps(value: unknown): number | null {
  const fps = Number(value);
  return (FPS_CHOICES as readonly number[]).includes(fps) ? fps : null;
}

export function parseQuality(value: unknown): number | null {
  const quality = Number(value);
  if (!Number.isFinite(quality) || quality < QUALITY_MIN || quality > QUALITY_MAX) return null;
  return Math.round(quality * 100) / 100;
}
