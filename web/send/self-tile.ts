// Your own camera preview (mirrored, like a mirror) with what you send: fps and bandwidth.

import { element } from "../dom.ts";
import { formatFps, formatRate } from "../watch/stats-text.ts";
import { type TileActions, TileView } from "../watch/tile-view.ts";
import type { SenderCounts } from "./camera-sender.ts";

const WINDOW_MS = 2000;

const CODEC_TEXT: Record<string, string> = {
  h264: "H.264",
  jpeg: "JPEG",
  "h264+jpeg": "H.264 + JPEG",
};

export class SelfTile {
  readonly view: TileView;
  readonly element: HTMLElement;
  readonly video = element("video", "picture");
  /** Which codec goes out, as a badge. */
  readonly #codecLabel = element("span", "codec", "");
  #previous: { atMs: number; sent: number; bytes: number } | null = null;

  constructor(actions: TileActions) {
    this.view = new TileView(this.video, {
      className: "self",
      name: "you",
      stats: "starting camera…",
      actions,
    });
    this.element = this.view.element;
    this.element.dataset.self = "true";
    this.view.addBadge(this.#codecLabel);
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    this.video.setAttribute("aria-label", "your camera preview");
  }

  setName(name: string): void {
    this.view.setName(`${name} (you)`);
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
    // What goes out: "h264", "jpeg" or "h264+jpeg" (docs/BROWSER.md, Video codec).
    data.codec = counts.streams;
    data.jpegBytes = String(counts.jpegBytes);
    data.h264Bytes = String(counts.h264Bytes);
    data.h264Frames = String(counts.h264Frames);
    data.keyFrames = String(counts.keyFrames);
    this.#codecLabel.textContent = CODEC_TEXT[counts.streams] ?? counts.streams;
    const previous = this.#previous;
    if (!previous || nowMs - previous.atMs >= WINDOW_MS) {
      if (previous) {
        const seconds = (nowMs - previous.atMs) / 1000;
        const fps = (counts.sent - previous.sent) / seconds;
        data.fps = fps.toFixed(1);
        this.view.setStats(
          live
            ? `sending ${formatFps(fps)} · ${formatRate((counts.sentBytes - previous.bytes) / seconds)}`
            : "not sending: offline",
        );
      }
      this.#previous = { atMs: nowMs, sent: counts.sent, bytes: counts.sentBytes };
    }
  }
}
