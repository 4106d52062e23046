// Your own camera preview (mirrored, like a mirror) with what you send: fps and bandwidth.

import type { SenderCounts } from "./camera-sender.ts";
import { element } from "./dom.ts";
import { formatFps, formatRate } from "./stats-text.ts";

const WINDOW_MS = 2000;

export class SelfTile {
  readonly element = element("article", "tile self");
  readonly video = element("video", "picture");
  readonly #name = element("span", "name");
  readonly #stats = element("span", "stats", "starting camera…");
  #previous: { atMs: number; sent: number; bytes: number } | null = null;

  constructor() {
    this.element.dataset.self = "true";
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    this.video.setAttribute("aria-label", "your camera preview");
    const label = element("footer", "label");
    label.append(this.#name, this.#stats);
    this.element.append(this.video, label);
  }

  setName(name: string): void {
    this.#name.textContent = `${name} (you)`;
  }

  show(stream: MediaStream): void {
    this.video.srcObject = stream;
    // Autoplay of a muted video is allowed; a refusal only means no preview, sending still works.
    void this.video.play().catch(() => {});
  }

  hide(): void {
    this.video.srcObject = null;
    this.#previous = null;
    this.element.remove();
  }

  refresh(nowMs: number, counts: SenderCounts, live: boolean): void {
    const data = this.element.dataset;
    data.sent = String(counts.sent);
    data.skipped = String(counts.skipped);
    data.tooLarge = String(counts.tooLarge);
    // Bytes sent per layer, "full/…": what each size costs the uplink.
    data.bytesPerLayer = counts.bytesPerLayer.join("/");
    const previous = this.#previous;
    if (!previous || nowMs - previous.atMs >= WINDOW_MS) {
      if (previous) {
        const seconds = (nowMs - previous.atMs) / 1000;
        const fps = (counts.sent - previous.sent) / seconds;
        data.fps = fps.toFixed(1);
        this.#stats.textContent = live
          ? `sending ${formatFps(fps)} · ${formatRate((counts.sentBytes - previous.bytes) / seconds)}`
          : "not sending: offline";
      }
      this.#previous = { atMs: nowMs, sent: counts.sent, bytes: counts.sentBytes };
    }
  }
}
