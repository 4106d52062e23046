// One remote sender's H.264 on this page: a decoder per layer (h264-layer-decoder.ts). The relay
// switches a receiver's layer on a key frame of the new layer and sends nothing more of the old
// one, so that key frame retires the other layers' decoders.

import { H264LayerDecoder } from "./h264-layer-decoder.ts";
import type { DrawerCounts, IncomingFrame } from "./latest-frame-drawer.ts";

export class H264SenderDecoders {
  readonly counts: DrawerCounts = { received: 0, drawn: 0, dropped: 0, failed: 0 };
  readonly #layers = new Map<number, H264LayerDecoder>();
  readonly #picture: (picture: VideoFrame, frame: IncomingFrame) => void;

  constructor(picture: (picture: VideoFrame, frame: IncomingFrame) => void) {
    this.#picture = picture;
  }

  push(unit: Uint8Array, key: boolean, layer: number, frame: IncomingFrame): void {
    let decoder = this.#layers.get(layer);
    if (!decoder) {
      decoder = new H264LayerDecoder(this.counts, this.#picture);
      this.#layers.set(layer, decoder);
    }
    if (key && this.#layers.size > 1) {
      for (const [other, old] of this.#layers) {
        if (other === layer) continue;
        old.close();
        this.#layers.delete(other);
      }
    }
    decoder.push(unit, key, frame);
  }

  close(): void {
    for (const decoder of this.#layers.values()) decoder.close();
    this.#layers.clear();
  }
}
