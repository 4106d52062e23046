// The send path: every 1/fps s, draw the camera's current picture onto a canvas at the chosen
// size, encode it as JPEG and send it as one binary frame. Latest frame wins: while an encode is
// still running or the socket holds unsent bytes from earlier frames, the tick is skipped rather
// than queued, so a slow uplink lowers the frame rate instead of raising the latency.
import type { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { layerLadder } from "../../client-core/layer-choice.ts";
import { videoCongested } from "../../client-core/send-policy.ts";
import { ENCRYPTION_OVERHEAD, encodeVideoFrame, type LayerSize } from "../../protocol/index.ts";
import type { CaptureSettings } from "./capture-settings.ts";
import { LayerEncoder } from "./layer-encoder.ts";

export interface SenderCounts {
  sent: number;
  /** Ticks that produced no frame because the link (or the encoder) was still busy. */
  skipped: number;
  /** Frames over the relay's maxFrameBytes, never sent. */
  tooLarge: number;
  sentBytes: number;
  /** Bytes sent per layer (0 = full size). */
  bytesPerLayer: number[];
}

export class CameraSender {
  readonly counts: SenderCounts = {
    sent: 0,
    skipped: 0,
    tooLarge: 0,
    sentBytes: 0,
    bytesPerLayer: [0, 0, 0],
  };
  /** From the relay's welcome: the relay refuses bigger JPEGs. */
  maxFrameBytes = Number.POSITIVE_INFINITY;
  readonly #video: HTMLVideoElement;
  readonly #socket: () => WebSocket | null;
  readonly #onTooLarge: (bytes: number, limit: number) => void;
  readonly #encoder = new LayerEncoder();
  /** Seals every frame in an end-to-end encrypted room (one per page: nonces never repeat). */
  readonly #encryptor: FrameEncryptor | null;
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
    encryptor?: FrameEncryptor | null;
  }) {
    this.#encryptor = options.encryptor ?? null;
    this.#video = options.video;
    this.#socket = options.socket;
    this.#settings = options.settings;
    this.#onTooLarge = options.onTooLarge;
  }

  /** The sizes sent, largest first (announced to the relay with a `layers` message). */
  get layers(): LayerSize[] {
    const { width, height, layers } = this.#settings;
    return layerLadder(width, height, layers);
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
    // #lastFrameBytes: all layers of the last grab, headers included.
    return videoCongested(socket.bufferedAmount, this.#lastFrameBytes);
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
    const layers = this.layers;
    this.#drawCurrentPicture(this.#encoder.fullCanvas(layers));
    this.#encoding = true;
    const sequence = this.#sequence++;
    void this.#encoder.encode(layers, this.#settings.quality).then((jpegs) => {
      this.#encoding = false;
      this.#send(jpegs, captureTimeMs, sequence);
    });
  }

  /** Scales the camera picture to fill the chosen size, cropping the edges if aspect ratios differ. */
  #drawCurrentPicture(canvas: HTMLCanvasElement): void {
    const { width, height } = this.#settings;
    const video = this.#video;
    const scale = Math.max(width / video.videoWidth, height / video.videoHeight);
    const sourceWidth = width / scale;
    const sourceHeight = height / scale;
    const context = canvas.getContext("2d");
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

  /** One grab's layers, largest first; all share its capture time and sequence number. */
  #send(jpegs: (Uint8Array | null)[], captureTimeMs: number, sequence: number): void {
    const socket = this.#socket();
    const full = jpegs[0];
    if (!socket || !this.running || !full) return;
    // Sealing adds ENCRYPTION_OVERHEAD bytes, which count against the relay's limit too.
    const overhead = this.#encryptor ? ENCRYPTION_OVERHEAD : 0;
    if (full.byteLength + overhead > this.maxFrameBytes) {
      this.counts.tooLarge++;
      this.#onTooLarge(full.byteLength, this.maxFrameBytes);
      return;
    }
    // The link may have backed up while this frame was encoding: the next tick brings a newer one.
    if (this.#congested(socket)) {
      this.counts.skipped++;
      return;
    }
    const frames = jpegs.map((jpeg, layer) =>
      jpeg ? encodeVideoFrame(jpeg, captureTimeMs, sequence, 0, layer) : null,
    );
    if (!this.#encryptor) {
      this.#sendGrab(socket, frames);
      return;
    }
    // Every layer is sealed (its layer bits stay readable for the relay, and authenticated).
    // One grab in the works at a time, sealing included.
    this.#encoding = true;
    const encryptor = this.#encryptor;
    void Promise.all(frames.map((frame) => (frame ? encryptor.seal(frame) : null))).then(
      (sealed) => {
        this.#encoding = false;
        const current = this.#socket();
        if (current && this.running) this.#sendGrab(current, sealed);
      },
      () => {
        this.#encoding = false;
      },
    );
  }

  #sendGrab(socket: WebSocket, messages: (Uint8Array<ArrayBuffer> | null)[]): void {
    let grabBytes = 0;
    messages.forEach((message, layer) => {
      if (!message) return;
      socket.send(message);
      grabBytes += message.byteLength;
      this.counts.sentBytes += message.byteLength;
      this.counts.bytesPerLayer[layer] =
        (this.counts.bytesPerLayer[layer] ?? 0) + message.byteLength;
    });
    this.#lastFrameBytes = grabBytes;
    this.counts.sent++;
  }
}
