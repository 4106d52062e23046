// One other participant: a canvas showing their newest frame, their name, live fps and latency.
// Its data-* attributes expose the same numbers to tests and tooling.
import { formatLayerSize, type LayerSize, type PeerInfo } from "../protocol/index.ts";
import { element } from "./dom.ts";
import { FrameMeter } from "./frame-meter.ts";
import { type IncomingFrame, LatestFrameDrawer } from "./latest-frame-drawer.ts";
import { formatReading } from "./stats-text.ts";
import { type TileActions, TileView } from "./tile-view.ts";

function decodeJpeg(jpeg: Uint8Array): Promise<ImageBitmap> {
  // The Blob copies the bytes, so the socket's buffer is free as soon as this returns.
  return createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }));
}

export class RemoteTile {
  readonly view: TileView;
  readonly element: HTMLElement;
  readonly #canvas = element("canvas", "picture");
  /** Shown on hover: which of the sender's sizes we get, and at what rate. */
  readonly #layerLabel = element("span", "layer", "");
  /** The sender's layers, largest first (undefined until it announces them). */
  layers: LayerSize[] | undefined;
  /** Layer of the newest frame received, and bytes received (page counters). */
  #layer: number | null = null;
  #bytes = 0;
  readonly #meter = new FrameMeter();
  readonly #drawer: LatestFrameDrawer<ImageBitmap>;

  constructor(
    readonly peer: PeerInfo,
    actions: TileActions,
  ) {
    this.view = new TileView(this.#canvas, {
      name: peer.legacy ? `${peer.name} (old client)` : peer.name,
      stats: "waiting for video…",
      actions,
    });
    this.element = this.view.element;
    this.view.addBadge(this.#layerLabel);
    this.layers = peer.layers;
    this.element.dataset.peerId = String(peer.id);
    this.element.dataset.name = peer.name;
    this.element.dataset.frames = "0";
    this.element.dataset.hasVideo = "false";
    this.#canvas.setAttribute("role", "img");
    this.#canvas.setAttribute("aria-label", `${peer.name}'s video`);
    this.#canvas.width = 320;
    this.#canvas.height = 240;
    const context = this.#canvas.getContext("2d");
    this.#drawer = new LatestFrameDrawer(decodeJpeg, (bitmap, frame) =>
      this.#draw(context, bitmap, frame),
    );
  }

  receive(frame: IncomingFrame, layer = 0, bytes = frame.jpeg.byteLength): void {
    this.#layer = layer;
    this.#bytes += bytes;
    this.#drawer.push(frame);
  }

  #draw(context: CanvasRenderingContext2D | null, bitmap: ImageBitmap, frame: IncomingFrame): void {
    if (this.#canvas.width !== bitmap.width || this.#canvas.height !== bitmap.height) {
      this.#canvas.width = bitmap.width;
      this.#canvas.height = bitmap.height;
    }
    context?.drawImage(bitmap, 0, 0);
    const now = performance.timeOrigin + performance.now();
    this.#meter.record(now, now - frame.captureTimeMs);
  }

  /** Updates the label and data-* from the counters (a few times a second, not per frame). */
  refresh(nowMs: number): void {
    const { received, drawn, dropped, failed } = this.#drawer.counts;
    const reading = this.#meter.read(nowMs);
    const data = this.element.dataset;
    data.frames = String(drawn);
    data.received = String(received);
    data.dropped = String(dropped);
    data.failed = String(failed);
    data.fps = reading.fps.toFixed(1);
    data.latencyMs = reading.latencyMs === null ? "" : reading.latencyMs.toFixed(0);
    data.hasVideo = String(drawn > 0);
    data.bytes = String(this.#bytes);
    if (drawn > 0) this.view.setStats(formatReading(reading));
    if (this.#layer !== null) {
      const size = this.layers?.[this.#layer];
      const text = `layer ${this.#layer}${size ? ` · ${formatLayerSize(size)}` : ""} · ${reading.fps.toFixed(1)} fps`;
      data.layer = String(this.#layer);
      this.#layerLabel.textContent = text;
      this.element.title = text;
    }
  }

  dispose(): void {
    this.#drawer.dispose();
    this.element.remove();
  }
}
