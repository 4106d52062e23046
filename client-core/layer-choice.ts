// Which layer of each sender to ask the relay for (docs/PROTOCOL.md, "Layers"), for both clients:
// the page asks for the smallest layer that still fills a tile at the screen's pixel density, the
// CLI for the largest that fits --max-size. Asking is cheap, but only changes are sent.
import { encodeLayerRequest, type LayerSize, MIN_LAYER_SIDE } from "../protocol/index.ts";

/** Even, as JPEG's 4:2:0 chroma wants. */
function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

/**
 * The layers a sender of `width` x `height` sends when told only how many: 1 = full size;
 * 2 (the default of both clients) = full and a quarter of each side; 3 = full, half and quarter.
 * Layers that would be smaller than MIN_LAYER_SIDE are left out.
 */
export function layerLadder(width: number, height: number, count = 2): LayerSize[] {
  const divisors = count >= 3 ? [2, 4] : count === 2 ? [4] : [];
  const layers: LayerSize[] = [{ width, height }];
  for (const divisor of divisors) {
    const layer = { width: even(width / divisor), height: even(height / divisor) };
    if (layer.width >= MIN_LAYER_SIDE && layer.height >= MIN_LAYER_SIDE) layers.push(layer);
  }
  return layers;
}

/** The size a picture of `picture`'s shape is drawn at inside `box` (object-fit: contain). */
export function fitInside(box: LayerSize, picture: LayerSize): LayerSize {
  const scale = Math.min(box.width / picture.width, box.height / picture.height);
  if (!Number.isFinite(scale) || scale <= 0) return { width: 0, height: 0 };
  return { width: picture.width * scale, height: picture.height * scale };
}

/**
 * The smallest layer at least `need` large on both sides: what a tile drawn at that many device
 * pixels can use. The largest layer (0) when none is that large, or when nothing is known.
 */
export function layerForTile(layers: readonly LayerSize[], need: LayerSize): number {
  for (let id = layers.length - 1; id >= 0; id--) {
    const layer = layers[id] as LayerSize;
    if (layer.width >= need.width && layer.height >= need.height) return id;
  }
  return 0;
}

/** Device pixels a tile of `cssWidth` x `cssHeight` CSS pixels covers at `devicePixelRatio`. */
export function devicePixels(cssWidth: number, cssHeight: number, pixelRatio: number): LayerSize {
  const ratio = Number.isFinite(pixelRatio) && pixelRatio > 0 ? pixelRatio : 1;
  return { width: Math.ceil(cssWidth * ratio), height: Math.ceil(cssHeight * ratio) };
}

/** The largest layer no larger than `max` on either side; the smallest layer when none fits. */
export function layerForMaxSize(layers: readonly LayerSize[], max: LayerSize): number {
  for (let id = 0; id < layers.length; id++) {
    const layer = layers[id] as LayerSize;
    if (layer.width <= max.width && layer.height <= max.height) return id;
  }
  return Math.max(0, layers.length - 1);
}

/**
 * The layer asked of each sender. Sends `layer_request` only when the choice changes, forgets a
 * sender that left, and after a reconnect (reset) asks everything again.
 */
export class LayerRequests {
  readonly #send: (text: string) => boolean;
  readonly #asked = new Map<number, number>();
  #enabled = false;

  /** `send` returns false when the message could not be sent (no open socket). */
  constructor(send: (text: string) => boolean) {
    this.#send = send;
  }

  /** From the welcome: the relay serves layers to us only when it says so. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    this.#asked.clear();
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Asks for `layer` of `sender` unless that is what we asked last. */
  ask(sender: number, layer: number): void {
    if (!this.#enabled || this.#asked.get(sender) === layer) return;
    if (this.#send(encodeLayerRequest(sender, layer))) this.#asked.set(sender, layer);
  }

  /** The layer last asked of `sender`, if any. */
  asked(sender: number): number | undefined {
    return this.#asked.get(sender);
  }

  forget(sender: number): void {
    this.#asked.delete(sender);
  }
}
