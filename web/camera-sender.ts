// The send path: every 1/fps s, draw the camera's current picture onto a canvas at the chosen
// size, encode it as JPEG and send it as one binary frame. Latest frame wins: while an encode is
// still running or the socket holds unsent bytes from earlier frames, the tick is skipped rather
// than queued, so a slow uplink lowers the frame rate instead of raising the latency.
import { encodeVideoFrame, HEADER_BYTES } from "../protocol/index.ts";
import type { CaptureSettings } from "./capture-settings.ts";

/** Frames' worth of unsent bytes the socket may hold before new frames are skipped. */
const MAX_BUFFERED_FRAMES = 2;

export interface SenderCounts {
  sent: number;
  /** Ticks that produced no frame because the link (or the encoder) was still busy. */
  skipped: number;
  /** Frames over the relay's maxFrameBytes, never sent. */
  tooLarge: number;
  sentBytes: number;
}

export class CameraSender {
  readonly counts: SenderCounts = { sent: 0, skipped: 0, tooLarge: 0, sentBytes: 0 };
  /** From the relay's welcome: the relay refuses bigger JPEGs. */
  maxFrameBytes = Number.POSITIVE_INFINITY;
  readonly #video: HTMLVideoElement;
  readonly #socket: () => WebSocket | null;
  readonly #onTooLarge: (bytes: number, limit: number) => void;
  readonly #canvas = document.createElement("canvas");
  #settings: CaptureSettings;
  #timer: ReturnType<typeof setInterval> | undefined;
  #encoding = false;
  #sequence = 0;
  #lastFrameBytes = 0;

  constructor(options: {
    video: HTMLVideoElement;
    socket: () => WebSocket | null;
    settings: CaptureSettings;
    onTooLarge: (bytes: number, limit: number) => void;
  }) {
    this.#video = options.video;
    this.#socket = options.socket;
    this.#settings = options.settings;
    this.#onTooLarge = options.onTooLarge;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    this.stop();
    this.#timer = setInterval(() => this.#tick(), 1000 / this.#settings.fps);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** New size, rate or quality take effect from the next frame. */
  update(settings: CaptureSettings): void {
    const fpsChanged = settings.fps !== this.#settings.fps;
    this.#settings = settings;
    if (fpsChanged && this.running) this.start();
  }

  #congested(socket: WebSocket): boolean {
    return socket.bufferedAmount > MAX_BUFFERED_FRAMES * (this.#lastFrameBytes + HEADER_BYTES);
  }

  #tick(): void {
    const socket = this.#socket();
    // No socket (reconnecting) or no picture yet: nothing to send, and nothing to count.
    if (!socket || this.#video.videoWidth === 0) return;
    if (this.#encoding || this.#congested(socket)) {
      this.counts.skipped++;
      return;
    }
    const captureTimeMs = performance.timeOrigin + performance.now();
    this.#drawCurrentPicture();
    this.#encoding = true;
    this.#canvas.toBlob(
      (blob) => {
        this.#encoding = false;
        if (blob)
          void blob
            .arrayBuffer()
            .then((buffer) => this.#send(new Uint8Array(buffer), captureTimeMs));
      },
      "image/jpeg",
      this.#settings.quality,
    );
  }

  /** Scales the camera picture to fill the chosen size, cropping the edges if aspect ratios differ. */
  #drawCurrentPicture(): void {
    const { width, height } = this.#settings;
    if (this.#canvas.width !== width) this.#canvas.width = width;
    if (this.#canvas.height !== height) this.#canvas.height = height;
    const video = this.#video;
    const scale = Math.max(width / video.videoWidth, height / video.videoHeight);
    const sourceWidth = width / scale;
    const sourceHeight = height / scale;
    const context = this.#canvas.getContext("2d");
    context?.drawImage(
      video,
      (video.videoWidth - sourceWidth) / 2,
      (video.videoHeight - sourceHeight) / 2,
      sourceWidth,
      sourceHeight,
      0,
      0,
      width,
      height,
    );
  }

  #send(jpeg: Uint8Array, captureTimeMs: number): void {
    const socket = this.#socket();
    if (!socket || !this.running) return;
    if (jpeg.byteLength > this.maxFrameBytes) {
      this.counts.tooLarge++;
      this.#onTooLarge(jpeg.byteLength, this.maxFrameBytes);
      return;
    }
    // The link may have backed up while this frame was encoding: the next tick brings a newer one.
    if (this.#congested(socket)) {
      this.counts.skipped++;
      return;
    }
    const message = encodeVideoFrame(jpeg, captureTimeMs, this.#sequence++);
    socket.send(message);
    this.#lastFrameBytes = jpeg.byteLength;
    this.counts.sent++;
    this.counts.sentBytes += message.byteLength;
  }
}
