// Draws one participant's frames without ever queueing them: one decode at a time, and while it
// runs only the newest waiting frame is kept (older ones are dropped and counted). A slow device
// thus shows fewer frames, never older ones, and holds at most two frames' memory per tile.

export interface IncomingFrame {
  jpeg: Uint8Array;
  /** Sender's capture time, ms since the epoch. */
  captureTimeMs: number;
  /**
   * Called once the frame is drawn or failed to decode (the page acks it). Not for frames
   * replaced while waiting: the newer frame's ack covers them.
   */
  done?: () => void;
}

/** What decoding yields: something drawable that must be released (ImageBitmap in the page). */
export interface Decoded {
  close(): void;
}

export interface DrawerCounts {
  received: number;
  drawn: number;
  /** Frames replaced by a newer one before they could be decoded. */
  dropped: number;
  /** Frames that failed to decode (corrupt JPEG). */
  failed: number;
}

export class LatestFrameDrawer<D extends Decoded> {
  readonly counts: DrawerCounts = { received: 0, drawn: 0, dropped: 0, failed: 0 };
  readonly #decode: (jpeg: Uint8Array) => Promise<D>;
  /** Returns true to keep `decoded` (the caller then closes it; lip sync holds frames). */
  readonly #draw: (decoded: D, frame: IncomingFrame) => unknown;
  #busy = false;
  #pending: IncomingFrame | null = null;
  #disposed = false;

  constructor(
    decode: (jpeg: Uint8Array) => Promise<D>,
    draw: (decoded: D, frame: IncomingFrame) => unknown,
  ) {
    this.#decode = decode;
    this.#draw = draw;
  }

  push(frame: IncomingFrame): void {
    if (this.#disposed) return;
    this.counts.received++;
    if (this.#busy) {
      if (this.#pending) this.counts.dropped++;
      this.#pending = frame;
      return;
    }
    void this.#drain(frame);
  }

  /** Stops drawing (tile removed); a decode in flight is released when it finishes. */
  dispose(): void {
    this.#disposed = true;
    if (this.#pending) this.counts.dropped++;
    this.#pending = null;
  }

  async #drain(first: IncomingFrame): Promise<void> {
    this.#busy = true;
    let next: IncomingFrame | null = first;
    while (next && !this.#disposed) {
      const frame: IncomingFrame = next;
      this.#pending = null;
      let decoded: D | null = null;
      try {
        decoded = await this.#decode(frame.jpeg);
        if (!this.#disposed) {
          if (this.#draw(decoded, frame) === true) decoded = null; // kept by the caller
          this.counts.drawn++;
        }
      } catch {
        this.counts.failed++;
      } finally {
        decoded?.close();
      }
      if (!this.#disposed) frame.done?.();
      next = this.#pending;
    }
    this.#busy = false;
  }
}
