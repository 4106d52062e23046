// Layers from one canvas grab (docs/PROTOCOL.md, "Layers"): the camera picture is drawn once at
// full size; each smaller layer is that canvas drawn down onto its own canvas. All layers of a
// grab are encoded together (JPEG here, H.264 in h264-encoders.ts) and share one capture time and
// sequence number.
import type { LayerSize } from "../../protocol/index.ts";

function encodeJpeg(canvas: HTMLCanvasElement, quality: number): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    canvas.toBlob(
      (blob) => {
        if (!blob) resolve(null);
        else void blob.arrayBuffer().then((buffer) => resolve(new Uint8Array(buffer)));
      },
      "image/jpeg",
      quality,
    );
  });
}

export class LayerEncoder {
  /** One canvas per layer; [0] is the full-size grab. */
  readonly #canvases: HTMLCanvasElement[] = [];

  /** The full-size canvas to draw the camera picture on, sized for `layers[0]`. */
  fullCanvas(layers: readonly LayerSize[]): HTMLCanvasElement {
    return this.#canvasFor(0, layers[0] as LayerSize);
  }

  /** Scales the full canvas down to each smaller layer (H.264 and JPEG both take these canvases). */
  drawLayers(layers: readonly LayerSize[]): void {
    const full = this.fullCanvas(layers);
    for (let id = 1; id < layers.length; id++) {
      const size = layers[id] as LayerSize;
      const canvas = this.#canvasFor(id, size);
      canvas.getContext("2d")?.drawImage(full, 0, 0, size.width, size.height);
    }
  }

  /** Layer `id`'s canvas, as drawLayers left it. */
  canvas(id: number): HTMLCanvasElement | undefined {
    return this.#canvases[id];
  }

  /** Encodes every layer drawn by drawLayers as JPEG. */
  encodeJpegs(layers: readonly LayerSize[], quality: number): Promise<(Uint8Array | null)[]> {
    return Promise.all(
      layers.map((_, id) => encodeJpeg(this.#canvases[id] as HTMLCanvasElement, quality)),
    );
  }

  #canvasFor(id: number, size: LayerSize): HTMLCanvasElement {
    let canvas = this.#canvases[id];
    if (!canvas) {
      canvas = document.createElement("canvas");
      this.#canvases[id] = canvas;
    }
    if (canvas.width !== size.width) canvas.width = size.width;
    if (canvas.height !== size.height) canvas.height = size.height;
    return canvas;
  }
}
