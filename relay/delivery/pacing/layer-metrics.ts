// Metrics of layers (docs/PROTOCOL.md, "Layers"): bytes in and out per layer, and how often the
// relay moved a receiver between layers. Plain numbers on the hot path, read at scrape time.
import { Counter, type Registry } from "prom-client";
import { MAX_LAYERS } from "../../../protocol/index.ts";

export const layerStats = {
  /** Bytes of valid frames received, by layer id. */
  bytesIn: new Array<number>(MAX_LAYERS).fill(0),
  /** Bytes of frames handed to receivers' sockets, by layer id. */
  bytesOut: new Array<number>(MAX_LAYERS).fill(0),
  /** Receivers moved to a smaller layer (link or request) / to a larger one. */
  switchesDown: 0,
  switchesUp: 0,
};

function perLayer(registry: Registry, name: string, help: string, read: () => number[]): void {
  new Counter({
    name,
    help,
    labelNames: ["layer"],
    registers: [registry],
    collect() {
      this.reset();
      read().forEach((bytes, layer) => {
        this.inc({ layer: String(layer) }, bytes);
      });
    },
  });
}

export function registerLayerMetrics(registry: Registry): void {
  perLayer(
    registry,
    "framecast_layer_bytes_in_total",
    "Bytes of valid frames received, by layer (0 = full size)",
    () => layerStats.bytesIn,
  );
  perLayer(
    registry,
    "framecast_layer_bytes_out_total",
    "Bytes of frames sent to receivers, by layer (0 = full size)",
    () => layerStats.bytesOut,
  );
  new Counter({
    name: "framecast_layer_switches_total",
    help: "Receivers moved between layers of a sender: down (smaller) or up (larger)",
    labelNames: ["direction"],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ direction: "down" }, layerStats.switchesDown);
      this.inc({ direction: "up" }, layerStats.switchesUp);
    },
  });
}
