// Layers (docs/PROTOCOL.md, "Layers"): a sender may send up to three sizes of the same picture;
// each receiver gets, per sender, the one it asked for and its link can take. The layer id rides
// in the frame header's flags (protocol/frame.ts); these are the control messages around it.

/** At most this many layers per sender: ids 0 (full size), 1 and 2 (smaller). */
export const MAX_LAYERS = 3;

/** One layer's picture size. A sender's list is ordered largest first: index = layer id. */
export interface LayerSize {
  width: number;
  height: number;
}

/** Sender → relay: the layers it sends from now on. */
export interface LayersAnnounce {
  type: "layers";
  layers: LayerSize[];
}

/** Relay → receivers: the layers sender `id` offers (also in `welcome`/`join` peer entries). */
export interface LayersMessage {
  type: "layers";
  id: number;
  layers: LayerSize[];
}

/**
 * Receiver → relay: the largest layer (smallest id) of `sender` it can use. The relay never sends
 * a larger one, and a smaller one while the receiver's link can't keep up.
 */
export interface LayerRequest {
  type: "layer_request";
  sender: number;
  layer: number;
}

export const MIN_LAYER_SIDE = 16;
export const MAX_LAYER_SIDE = 4096;

function isSide(value: unknown): value is number {
  return (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= MIN_LAYER_SIDE &&
    value <= MAX_LAYER_SIDE
  );
}

/**
 * A valid layer list: 1 to MAX_LAYERS sizes, each no larger than the one before it and smaller
 * in area. Returns a clean copy (no extra fields), or null.
 */
export function validLayerList(value: unknown): LayerSize[] | null {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_LAYERS) return null;
  const layers: LayerSize[] = [];
  for (const entry of value) {
    if (typeof entry !== "object" || entry === null) return null;
    const { width, height } = entry as Record<string, unknown>;
    if (!isSide(width) || !isSide(height)) return null;
    const previous = layers[layers.length - 1];
    if (
      previous &&
      (width > previous.width ||
        height > previous.height ||
        width * height >= previous.width * previous.height)
    ) {
      return null;
    }
    layers.push({ width, height });
  }
  return layers;
}

/** True for a layer id a frame or a request may name. */
export function isLayerId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < MAX_LAYERS;
}

/** "640x480,320x240" → sizes; null when any part is not WxH. */
export function parseLayerSizes(text: string): LayerSize[] | null {
  const parts = text.split(",").map((part) => part.trim());
  const sizes: LayerSize[] = [];
  for (const part of parts) {
    const match = /^(\d{1,5})x(\d{1,5})$/.exec(part);
    if (!match) return null;
    sizes.push({ width: Number(match[1]), height: Number(match[2]) });
  }
  return sizes;
}

export function formatLayerSize(size: LayerSize): string {
  return `${size.width}x${size.height}`;
}

export function encodeLayersAnnounce(layers: LayerSize[]): string {
  return JSON.stringify({ type: "layers", layers } satisfies LayersAnnounce);
}

export function encodeLayerRequest(sender: number, layer: number): string {
  return JSON.stringify({ type: "layer_request", sender, layer } satisfies LayerRequest);
}
