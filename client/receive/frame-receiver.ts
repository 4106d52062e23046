// The receive path: attribute each incoming frame to its sender and hand it to the outputs.
// Binary frames need no decoding (the JPEG is a view into the message); base64 text frames
// are decoded in the worker pool.
import type { SenderCryptoState } from "../../client-core/frame-decryptor.ts";
import type { Roster } from "../../client-core/roster.ts";
import {
  framePayload,
  isKeyFrame,
  looksLikeJpeg,
  readCaptureTime,
  readLayer,
  readSenderId,
  readSequence,
} from "../../protocol/index.ts";
import type { CodecPool } from "../codec-pool.ts";
import { StreamStats } from "./stream-stats.ts";
import type { FrameSink, StreamInfo } from "./streams.ts";

/** The single unnamed stream of a base64 relay, which carries no sender ids. */
export const LEGACY_STREAM: StreamInfo = { id: 0, name: "stream" };

export class FrameReceiver {
  readonly #roster: Roster;
  readonly #sinks: FrameSink[];
  readonly #pool: CodecPool | null;
  readonly #log: (line: string) => void;
  readonly #onDone: (frame: Uint8Array) => void;
  readonly stats = new Map<number, StreamStats>();
  #decodeOrder = 0;
  #newestDecoded = -1;
  #warnedBadFrame = false;
  #stopped = false;

  constructor(options: {
    roster: Roster;
    sinks: FrameSink[];
    pool: CodecPool | null;
    log: (line: string) => void;
    /** Called once per binary frame after the outputs took it or it was skipped (acks). */
    onDone?: (frame: Uint8Array) => void;
  }) {
    this.#roster = options.roster;
    this.#sinks = options.sinks;
    this.#pool = options.pool;
    this.#log = options.log;
    this.#onDone = options.onDone ?? (() => {});
  }

  /** A valid binary video frame from the relay (opened already in an encrypted room). */
  binary(message: Uint8Array): void {
    const stream = this.#roster.streamOf(readSenderId(message));
    const jpeg = framePayload(message);
    const captureTimeMs = readCaptureTime(message);
    const stats = this.#statsOf(stream.id);
    stats.cryptoState = "ok";
    stats.record(jpeg.byteLength, captureTimeMs, readSequence(message));
    stats.layer = readLayer(message);
    stats.codec = "jpeg";
    this.#deliver(stream, jpeg, captureTimeMs);
    // The outputs have written it to their pipes (or dropped it while a pipe is busy).
    this.#onDone(message);
  }

  /** A valid H.264 frame (kind 4) from the relay, opened already in an encrypted room. */
  h264(message: Uint8Array): void {
    const stream = this.#roster.streamOf(readSenderId(message));
    const unit = framePayload(message);
    const captureTimeMs = readCaptureTime(message);
    const stats = this.#statsOf(stream.id);
    stats.cryptoState = "ok";
    // Sequence numbers count per kind: H.264 has its own (no false gaps from the JPEG ones).
    stats.record(unit.byteLength, captureTimeMs, readSequence(message));
    stats.layer = readLayer(message);
    stats.codec = "h264";
    if (!this.#stopped) {
      const key = isKeyFrame(message);
      for (const sink of this.#sinks) sink.h264?.(stream, unit, captureTimeMs, key);
    }
    this.#onDone(message);
  }

  /** A legacy base64 frame (old relay, or the relay's "/" path). */
  async base64(text: string): Promise<void> {
    const order = this.#decodeOrder++;
    const stats = this.#statsOf(LEGACY_STREAM.id);
    let jpeg: Uint8Array | null;
    try {
      jpeg = await (this.#pool as CodecPool).decodeBase64(text);
    } catch {
      jpeg = null;
    }
    if (jpeg === null || order < this.#newestDecoded) {
      stats.dropped++; // pool behind, or a newer frame already shown
      return;
    }
    if (!looksLikeJpeg(jpeg)) {
      this.#warnOnce("ignored a text message that is not a base64 JPEG");
      return;
    }
    this.#newestDecoded = order;
    stats.record(jpeg.byteLength, null, null);
    this.#deliver(LEGACY_STREAM, jpeg, null);
  }

  /** A frame that failed the check on receipt (client-core/inbound-frames.ts acked it). */
  malformed(problem: string): void {
    this.#warnOnce(`ignored a malformed frame from the relay (${problem})`);
  }

  /**
   * A frame of `senderId` that was dropped undecrypted (wrong key, tampered, unencrypted in an
   * encrypted room, no key): the status line says why (client-core/inbound-frames.ts acked it).
   */
  undecryptable(senderId: number, state: SenderCryptoState): void {
    const stats = this.#statsOf(this.#roster.streamOf(senderId).id);
    stats.cryptoState = state;
    stats.undecryptable++;
  }

  /** The participant left: close its outputs and forget its counters. */
  end(stream: StreamInfo): void {
    for (const sink of this.#sinks) sink.end(stream);
    this.stats.delete(stream.id);
  }

  /** Ctrl-C: frames still in flight while the socket closes are not recorded or shown. */
  stop(): void {
    this.#stopped = true;
  }

  #deliver(stream: StreamInfo, jpeg: Uint8Array, captureTimeMs: number | null): void {
    if (this.#stopped) return;
    for (const sink of this.#sinks) sink.frame(stream, jpeg, captureTimeMs);
  }

  #statsOf(id: number): StreamStats {
    let stats = this.stats.get(id);
    if (!stats) {
      stats = new StreamStats();
      this.stats.set(id, stats);
    }
    return stats;
  }

  #warnOnce(line: string): void {
    if (this.#warnedBadFrame) return;
    this.#warnedBadFrame = true;
    this.#log(line);
  }
}
