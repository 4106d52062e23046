// Per-stream counters for the status line: live rates (client-core/frame-meter.ts, the same
// sliding window as the page's tiles) plus totals.
import type { SenderCryptoState } from "../../client-core/frame-decryptor.ts";
import { FrameMeter, type MeterReading } from "../../client-core/frame-meter.ts";

export class StreamStats {
  totalFrames = 0;
  totalBytes = 0;
  /** Frames the sender numbered but we never got (relay skipped them), plus local drops. */
  dropped = 0;
  /** Layer of the newest frame (null: legacy frames, which carry none). */
  layer: number | null = null;
  /** Codec of the newest frame: "jpeg" or "h264" (null before the first). */
  codec: "jpeg" | "h264" | null = null;
  /** End-to-end rooms: what we can show of this sender (see client-core/frame-decryptor.ts). */
  cryptoState: SenderCryptoState = "ok";
  /** Frames dropped because they did not open (wrong key, tampered) or were not encrypted. */
  undecryptable = 0;
  readonly #meter = new FrameMeter();
  #lastSequence = -1;

  /** `captureTimeMs` / `sequence` are null for legacy base64 frames, which carry neither. */
  record(bytes: number, captureTimeMs: number | null, sequence: number | null): void {
    this.totalFrames++;
    this.totalBytes += bytes;
    this.#meter.record(
      performance.now(),
      captureTimeMs === null ? Number.NaN : Date.now() - captureTimeMs,
      bytes,
    );
    if (sequence !== null) {
      // A gap means frames were skipped on the way; a step back means the sender restarted.
      if (this.#lastSequence >= 0 && sequence > this.#lastSequence + 1) {
        this.dropped += sequence - this.#lastSequence - 1;
      }
      this.#lastSequence = sequence;
    }
  }

  /** Rates over the last couple of seconds. */
  read(): MeterReading {
    return this.#meter.read(performance.now());
  }
}
