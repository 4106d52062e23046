// Per-stream counters for the status line: rates over the last window plus totals. Updated
// once per frame with plain number fields (no allocation on the hot path).
import type { SenderCryptoState } from "../../client-core/frame-decryptor.ts";

export class StreamStats {
  totalFrames = 0;
  totalBytes = 0;
  /** Frames the sender numbered but we never got (relay skipped them), plus local drops. */
  dropped = 0;
  /** Layer of the newest frame (null: legacy frames, which carry none). */
  layer: number | null = null;
  /** End-to-end rooms: what we can show of this sender (see client-core/frame-decryptor.ts). */
  cryptoState: SenderCryptoState = "ok";
  /** Frames dropped because they did not open (wrong key, tampered) or were not encrypted. */
  undecryptable = 0;
  #windowFrames = 0;
  #windowBytes = 0;
  #latencySum = 0;
  #latencyCount = 0;
  #lastSequence = -1;
  #windowStart = performance.now();

  /** `captureTimeMs` / `sequence` are null for legacy base64 frames, which carry neither. */
  record(bytes: number, captureTimeMs: number | null, sequence: number | null): void {
    this.totalFrames++;
    this.totalBytes += bytes;
    this.#windowFrames++;
    this.#windowBytes += bytes;
    if (captureTimeMs !== null) {
      this.#latencySum += Date.now() - captureTimeMs;
      this.#latencyCount++;
    }
    if (sequence !== null) {
      // A gap means frames were skipped on the way; a step back means the sender restarted.
      if (this.#lastSequence >= 0 && sequence > this.#lastSequence + 1) {
        this.dropped += sequence - this.#lastSequence - 1;
      }
      this.#lastSequence = sequence;
    }
  }

  /** Rates since the previous call; starts a new window. */
  takeWindow(): { fps: number; kBps: number; latencyMs: number | null } {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#windowStart) / 1000);
    const result = {
      fps: this.#windowFrames / seconds,
      kBps: this.#windowBytes / 1024 / seconds,
      latencyMs: this.#latencyCount > 0 ? this.#latencySum / this.#latencyCount : null,
    };
    this.#windowStart = now;
    this.#windowFrames = 0;
    this.#windowBytes = 0;
    this.#latencySum = 0;
    this.#latencyCount = 0;
    return result;
  }
}
