// The send path: stamp and send each captured frame, or skip it. Latest frame wins: when the
// socket still holds a few frames' worth of unsent bytes, the new frame is skipped rather than
// queued, so a slow uplink lowers the frame rate instead of raising the latency.
import { FrameKind, HEADER_BYTES, writeHeader } from "../protocol/index.ts";
import type { CodecPool } from "./codec-pool.ts";
import type { Wire } from "./options.ts";

/** How many frames of unsent bytes the socket may hold before we skip. */
const MAX_BUFFERED_FRAMES = 3;

export class FrameSender {
  readonly #wire: Wire;
  readonly #pool: CodecPool | null;
  readonly #socket: () => WebSocket | null;
  readonly #log: (line: string) => void;
  #sequence = 0;
  /** Newest base64 frame handed to the socket: an older one finishing late is dropped. */
  #newestSent = -1;
  #warnedTooLarge = false;
  /** From the relay's welcome; frames above it would be refused. */
  maxFrameBytes = Number.POSITIVE_INFINITY;
  sent = 0;
  skipped = 0;
  sentBytes = 0;

  constructor(options: {
    wire: Wire;
    pool: CodecPool | null;
    socket: () => WebSocket | null;
    log: (line: string) => void;
  }) {
    this.#wire = options.wire;
    this.#pool = options.pool;
    this.#socket = options.socket;
    this.#log = options.log;
  }

  /** `jpeg` must own its buffer and have HEADER_BYTES of free room before it (the splitter's headroom). */
  send(jpeg: Uint8Array, captureTimeMs: number): void {
    const socket = this.#socket();
    if (!socket || this.#congested(socket, jpeg.byteLength)) {
      this.skipped++;
      return;
    }
    if (jpeg.byteLength > this.maxFrameBytes) {
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
    if (this.#wire === "binary") this.#sendBinary(socket, jpeg, captureTimeMs);
    else void this.#sendBase64(jpeg);
  }

  #congested(socket: WebSocket, frameBytes: number): boolean {
    return socket.bufferedAmount > MAX_BUFFERED_FRAMES * (frameBytes + HEADER_BYTES);
  }

  #sendBinary(socket: WebSocket, jpeg: Uint8Array, captureTimeMs: number): void {
    // The header goes into the headroom in front of the JPEG: no copy of the frame.
    const message = new Uint8Array(
      jpeg.buffer as ArrayBuffer,
      jpeg.byteOffset - HEADER_BYTES,
      HEADER_BYTES + jpeg.byteLength,
    );
    writeHeader(message, {
      kind: FrameKind.VideoJpeg,
      flags: 0,
      senderId: 0,
      captureTimeMs,
      sequence: this.#sequence++,
    });
    socket.send(message);
    this.sent++;
    this.sentBytes += message.byteLength;
  }

  async #sendBase64(jpeg: Uint8Array): Promise<void> {
    const order = this.#sequence++;
    const pool = this.#pool as CodecPool;
    const text = await pool.encodeBase64(jpeg);
    const socket = this.#socket();
    if (
      text === null ||
      order < this.#newestSent ||
      !socket ||
      this.#congested(socket, text.length)
    ) {
      this.skipped++;
      return;
    }
    this.#newestSent = order;
    socket.send(text);
    this.sent++;
    this.sentBytes += text.length;
  }
}
