// The send path: stamp and send each captured frame, or skip it. Latest frame wins: when the
// socket still holds a few frames' worth of unsent bytes, the new frame is skipped rather than
// queued, so a slow uplink lowers the frame rate instead of raising the latency.
import type { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { videoCongested } from "../../client-core/send-policy.ts";
import {
  ENCRYPTION_OVERHEAD,
  FrameKind,
  HEADER_BYTES,
  layerFlags,
  MAX_LAYERS,
  writeHeader,
} from "../../protocol/index.ts";
import type { CodecPool } from "../codec-pool.ts";
import type { Wire } from "../options.ts";

export class FrameSender {
  readonly #wire: Wire;
  readonly #pool: CodecPool | null;
  readonly #socket: () => WebSocket | null;
  readonly #log: (line: string) => void;
  /** Seals every frame when the room is end-to-end encrypted. */
  readonly #encryptor: FrameEncryptor | null;
  #sequence = 0;
  /** Per layer: frames of one picture share a sequence number (the k-th frame of each layer). */
  readonly #layerSequence = new Array<number>(MAX_LAYERS).fill(0);
  /** Size of each layer's last frame: the congestion check allows a few pictures of all layers. */
  readonly #lastBytes = new Array<number>(MAX_LAYERS).fill(0);
  /** Newest base64 frame handed to the socket: an older one finishing late is dropped. */
  #newestSent = -1;
  #warnedTooLarge = false;
  /** From the relay's welcome; frames above it would be refused. */
  maxFrameBytes = Number.POSITIVE_INFINITY;
  sent = 0;
  skipped = 0;
  sentBytes = 0;
  /** Frames and bytes sent per layer (the status line and the bench show them). */
  readonly sentPerLayer = new Array<number>(MAX_LAYERS).fill(0);
  readonly bytesPerLayer = new Array<number>(MAX_LAYERS).fill(0);

  constructor(options: {
    wire: Wire;
    pool: CodecPool | null;
    socket: () => WebSocket | null;
    log: (line: string) => void;
    encryptor?: FrameEncryptor | null;
  }) {
    this.#encryptor = options.encryptor ?? null;
    this.#wire = options.wire;
    this.#pool = options.pool;
    this.#socket = options.socket;
    this.#log = options.log;
  }

  /** `jpeg` must own its buffer and have HEADER_BYTES of free room before it (the splitter's headroom). */
  send(jpeg: Uint8Array, captureTimeMs: number, layer = 0): void {
    const socket = this.#socket();
    if (layer !== 0 && this.#wire !== "binary") return; // the old protocol has no layers
    this.#lastBytes[layer] = jpeg.byteLength + HEADER_BYTES;
    // Every captured picture takes a number, sent or skipped: a gap tells receivers of a skip.
    const sequence = this.#layerSequence[layer] as number;
    this.#layerSequence[layer] = (sequence + 1) >>> 0;
    if (!socket || this.#congested(socket)) {
      this.skipped++;
      return;
    }
    // Sealing adds ENCRYPTION_OVERHEAD bytes, which count against the relay's limit too.
    const overhead = this.#encryptor ? ENCRYPTION_OVERHEAD : 0;
    if (jpeg.byteLength + overhead > this.maxFrameBytes) {
      this.skipped++;
      if (!this.#warnedTooLarge) {
        this.#warnedTooLarge = true;
        this.#log(
          `a ${Math.round(jpeg.byteLength / 1024)} kB frame is over the relay's ` +
            `${Math.round(this.maxFrameBytes / 1024)} kB limit: lower --size or raise --quality`,
        );
      }
      return;
    }
    if (this.#wire === "binary") this.#sendBinary(socket, jpeg, captureTimeMs, layer, sequence);
    else void this.#sendBase64(jpeg);
  }

  #congested(socket: WebSocket): boolean {
    const pictureBytes = this.#lastBytes.reduce((sum, bytes) => sum + bytes, 0);
    return videoCongested(socket.bufferedAmount, pictureBytes);
  }

  #sendBinary(
    socket: WebSocket,
    jpeg: Uint8Array,
    captureTimeMs: number,
    layer: number,
    sequence: number,
  ): void {
    // The header goes into the headroom in front of the JPEG: no copy of the frame.
    const message = new Uint8Array(
      jpeg.buffer as ArrayBuffer,
      jpeg.byteOffset - HEADER_BYTES,
      HEADER_BYTES + jpeg.byteLength,
    );
    writeHeader(message, {
      kind: FrameKind.VideoJpeg,
      flags: layerFlags(layer),
      senderId: 0,
      captureTimeMs,
      sequence,
    });
    if (this.#encryptor) {
      void this.#sendSealed(message, layer);
      return;
    }
    socket.send(message);
    this.#count(message, layer);
  }

  async #sendSealed(frame: Uint8Array, layer: number): Promise<void> {
    const message = await (this.#encryptor as FrameEncryptor).seal(frame);
    // The socket may have dropped while sealing: a reconnect brings newer frames.
    const socket = this.#socket();
    if (!socket) {
      this.skipped++;
      return;
    }
    socket.send(message);
    this.#count(message, layer);
  }

  #count(message: Uint8Array, layer: number): void {
    if (layer === 0) this.sent++;
    this.sentBytes += message.byteLength;
    (this.sentPerLayer[layer] as number)++;
    (this.bytesPerLayer[layer] as number) += message.byteLength;
  }

  async #sendBase64(jpeg: Uint8Array): Promise<void> {
    const order = this.#sequence++;
    const pool = this.#pool as CodecPool;
    const text = await pool.encodeBase64(jpeg);
    const socket = this.#socket();
    if (text !== null) this.#lastBytes[0] = text.length;
    if (text === null || order < this.#newestSent || !socket || this.#congested(socket)) {
      this.skipped++;
      return;
    }
    this.#newestSent = order;
    socket.send(text);
    this.sent++;
    this.sentBytes += text.length;
  }
}
