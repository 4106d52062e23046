// The send path: every 1/fps s, draw the camera's current picture onto a canvas at the chosen
// size (and each smaller layer from it), then encode it as H.264 (WebCodecs, h264-encoders.ts)
// and/or JPEG, as the codec choice and the relay's codecs_needed say (codec-choice.ts), and send
// each as one binary frame. Latest frame wins: while an encode is still running or the socket
// holds unsent bytes from earlier frames, the tick is skipped rather than queued, so a slow
// uplink lowers the frame rate instead of raising the latency. A skipped tick is harmless for
// H.264 too (the encoder never sees that picture); an H.264 chunk once encoded is always sent,
// or its layer's next frame is a key frame.
import type { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { layerLadder } from "../../client-core/layer-choice.ts";
import { videoCongested } from "../../client-core/send-policy.ts";
import {
  ENCRYPTION_OVERHEAD,
  encodeH264Frame,
  encodeVideoFrame,
  type LayerSize,
} from "../../protocol/index.ts";
import type { CaptureSettings } from "./capture-settings.ts";
import { type CodecsNeeded, JPEG_ONLY, streamsToSend, type VideoCodec } from "./codec-choice.ts";
import { type H264Chunk, H264Encoders } from "./h264-encoders.ts";
import { LayerEncoder } from "./layer-encoder.ts";

export interface SenderCounts {
  sent: number;
  /** Ticks that produced no frame because the link (or the encoder) was still busy. */
  skipped: number;
  /** Frames over the relay's maxFrameBytes, never sent. */
  tooLarge: number;
  sentBytes: number;
  /** Bytes sent per layer (0 = full size), both codecs. */
  bytesPerLayer: number[];
  /** Bytes sent per codec. */
  jpegBytes: number;
  h264Bytes: number;
  /** H.264 frames and key frames sent (every layer). */
  h264Frames: number;
  keyFrames: number;
  /** What is being sent now: "h264", "jpeg" or "h264+jpeg". */
  streams: string;
}

export class CameraSender {
  readonly counts: SenderCounts = {
    sent: 0,
    skipped: 0,
    tooLarge: 0,
    sentBytes: 0,
    bytesPerLayer: [0, 0, 0],
    jpegBytes: 0,
    h264Bytes: 0,
    h264Frames: 0,
    keyFrames: 0,
    streams: "jpeg",
  };
  /** From the relay's welcome: the relay refuses bigger payloads. */
  maxFrameBytes = Number.POSITIVE_INFINITY;
  readonly #video: HTMLVideoElement;
  readonly #socket: () => WebSocket | null;
  readonly #onTooLarge: (bytes: number, limit: number) => void;
  readonly #encoder = new LayerEncoder();
  readonly #h264: H264Encoders;
  /** Seals every frame in an end-to-end encrypted room (one per page: nonces never repeat). */
  readonly #encryptor: FrameEncryptor | null;
  #settings: CaptureSettings;
  #timer: ReturnType<typeof setInterval> | undefined;
  #encoding = false;
  #sequence = 0;
  /** Bytes of the last grab's JPEG layers and of its H.264 layers (headers included). */
  #lastJpegBytes = 0;
  #lastH264Bytes = 0;
  #lastH264Sequence = -1;
  /** "h264" where the browser encodes and decodes it (codec-choice.ts); set before start. */
  #codec: VideoCodec = "jpeg";
  /** The relay's latest codecs_needed (JPEG only until it says, and on relays that never do). */
  #needed: CodecsNeeded = JPEG_ONLY;
  #streams = streamsToSend("jpeg", JPEG_ONLY);

  constructor(options: {
    video: HTMLVideoElement;
    socket: () => WebSocket | null;
    settings: CaptureSettings;
    onTooLarge: (bytes: number, limit: number) => void;
    encryptor?: FrameEncryptor | null;
    /** H.264 bitrate over a camera's (a screen share's sender: web/send/screen-share.ts). */
    h264BitrateScale?: number;
  }) {
    this.#encryptor = options.encryptor ?? null;
    this.#video = options.video;
    this.#socket = options.socket;
    this.#settings = options.settings;
    this.#onTooLarge = options.onTooLarge;
    this.#h264 = new H264Encoders(
      (chunk) => this.#sendH264(chunk),
      // No encoder for this size after all (or it keeps failing): JPEG from now on.
      () => this.setCodec("jpeg"),
    );
    this.#h264.bitrateScale = options.h264BitrateScale ?? 1;
  }

  /** The sizes sent, largest first (announced to the relay with a `layers` message). */
  get layers(): LayerSize[] {
    const { width, height, layers } = this.#settings;
    return layerLadder(width, height, layers);
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  setCodec(codec: VideoCodec): void {
    this.#codec = codec;
    if (codec === "jpeg") this.#h264.close();
    this.#followStreams();
  }

  /** The relay's codecs_needed: which streams the others need. */
  codecsNeeded(needed: CodecsNeeded): void {
    this.#needed = { jpeg: needed.jpeg, h264: needed.h264 };
    this.#followStreams();
  }

  /** The relay's keyframe_request: receivers of `layer` wait for a key frame. */
  keyframeRequest(layer: number): void {
    this.#h264.requestKey(layer);
  }

  /**
   * The connection is gone: the next one starts JPEG-only until the relay says otherwise, and
   * every H.264 layer starts over with a key frame (chunks of the old connection are dropped).
   */
  connectionLost(): void {
    this.#needed = JPEG_ONLY;
    this.#h264.generation++;
    this.#h264.requestKey();
    this.#followStreams();
  }

  #followStreams(): void {
    const streams = streamsToSend(this.#codec, this.#needed);
    // H.264 starting (again): receivers have nothing to decode deltas with.
    if (streams.h264 && !this.#streams.h264) this.#h264.requestKey();
    this.#streams = streams;
    this.counts.streams = [streams.h264 ? "h264" : "", streams.jpeg ? "jpeg" : ""]
      .filter(Boolean)
      .join("+");
  }

  start(): void {
    this.stop();
    this.#timer = setInterval(() => this.#tick(), 1000 / this.#settings.fps);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#h264.close();
  }

  /** New size, rate or quality take effect from the next frame. */
  update(settings: CaptureSettings): void {
    const fpsChanged = settings.fps !== this.#settings.fps;
    this.#settings = settings;
    if (fpsChanged && this.running) this.start();
  }

  #congested(socket: WebSocket): boolean {
    // All layers of the last grab, both codecs, headers included.
    return videoCongested(socket.bufferedAmount, this.#lastJpegBytes + this.#lastH264Bytes);
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
    const streams = this.#streams;
    this.#drawCurrentPicture(this.#encoder.fullCanvas(layers));
    this.#encoder.drawLayers(layers);
    const sequence = this.#sequence++;
    // A codec not sent this grab no longer counts towards congestion.
    if (!streams.jpeg) this.#lastJpegBytes = 0;
    if (!streams.h264) this.#lastH264Bytes = 0;
    if (streams.h264) this.#encodeH264(layers, captureTimeMs, sequence);
    if (!streams.jpeg) return;
    this.#encoding = true;
    void this.#encoder.encodeJpegs(layers, this.#settings.quality).then((jpegs) => {
      this.#encoding = false;
      this.#send(jpegs, captureTimeMs, sequence);
    });
  }

  #encodeH264(layers: LayerSize[], captureTimeMs: number, sequence: number): void {
    this.#h264.keepLayers(layers.length);
    let encoded = false;
    layers.forEach((size, layer) => {
      const canvas = this.#encoder.canvas(layer);
      if (!canvas) return;
      const fps = this.#settings.fps;
      if (this.#h264.encode(layer, canvas, size, fps, captureTimeMs, sequence)) encoded = true;
    });
    if (!encoded && !this.#streams.jpeg) this.counts.skipped++;
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

  /** One encoded H.264 access unit: sent now (in encoder order, sealed in order), never skipped. */
  #sendH264(chunk: H264Chunk): void {
    const socket = this.#socket();
    if (!socket || !this.running || chunk.generation !== this.#h264.generation) {
      this.#h264.requestKey(chunk.layer);
      return;
    }
    const overhead = this.#encryptor ? ENCRYPTION_OVERHEAD : 0;
    if (chunk.data.byteLength + overhead > this.maxFrameBytes) {
      this.counts.tooLarge++;
      this.#onTooLarge(chunk.data.byteLength, this.maxFrameBytes);
      this.#h264.requestKey(chunk.layer);
      return;
    }
    const message = encodeH264Frame(
      chunk.data,
      chunk.captureTimeMs,
      chunk.sequence,
      chunk.key,
      chunk.layer,
      chunk.temporalLayer,
    );
    if (!this.#encryptor) {
      this.#sendH264Message(socket, message, chunk);
      return;
    }
    // FrameEncryptor finishes in call order, so the stream stays in decoding order.
    void this.#encryptor.seal(message).then(
      (sealed) => {
        const current = this.#socket();
        if (current && chunk.generation === this.#h264.generation)
          this.#sendH264Message(current, sealed, chunk);
        else this.#h264.requestKey(chunk.layer);
      },
      () => this.#h264.requestKey(chunk.layer),
    );
  }

  #sendH264Message(socket: WebSocket, message: Uint8Array<ArrayBuffer>, chunk: H264Chunk): void {
    socket.send(message);
    if (chunk.sequence !== this.#lastH264Sequence) {
      this.#lastH264Sequence = chunk.sequence;
      this.#lastH264Bytes = 0;
    }
    this.#lastH264Bytes += message.byteLength;
    this.#count(chunk.layer, message.byteLength);
    this.counts.h264Bytes += message.byteLength;
    this.counts.h264Frames++;
    if (chunk.key) this.counts.keyFrames++;
    if (chunk.layer === 0) this.counts.sent++;
  }

  /** One grab's JPEG layers, largest first; all share its capture time and sequence number. */
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

  #count(layer: number, bytes: number): void {
    this.counts.sentBytes += bytes;
    this.counts.bytesPerLayer[layer] = (this.counts.bytesPerLayer[layer] ?? 0) + bytes;
  }

  #sendGrab(socket: WebSocket, messages: (Uint8Array<ArrayBuffer> | null)[]): void {
    let grabBytes = 0;
    messages.forEach((message, layer) => {
      if (!message) return;
      socket.send(message);
      grabBytes += message.byteLength;
      this.#count(layer, message.byteLength);
    });
    this.counts.jpegBytes += grabBytes;
    this.#lastJpegBytes = grabBytes;
    // With H.264 going too, its full layer counts the grab.
    if (!this.#streams.h264) this.counts.sent++;
  }
}
