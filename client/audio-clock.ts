// Capture stamps for Opus packets read from ffmpeg. A packet arrives some time after its sound
// was captured (encoder lookahead, page flush, pipe); its granule position says exactly where
// it lies in the stream. Stamp = (earliest arrival seen − stream time at that arrival) + the
// packet's stream start time: smooth (no pipe jitter), and on the same footing as the video's
// arrival stamps. Pure, so it is tested with made-up arrivals.
import { OPUS_GRANULE_RATE } from "./ogg-opus.ts";

/** Opus packets are 20 ms: 960 samples at 48 kHz. */
const PACKET_SAMPLES = 960;

export class AudioClock {
  /** Wall-clock time (ms since epoch) of stream time 0, or NaN before the first packet. */
  #origin = Number.NaN;
  #preSkip = 0;

  /** A new ffmpeg run (restart): its stream time starts again at 0. */
  reset(preSkip: number): void {
    this.#origin = Number.NaN;
    this.#preSkip = preSkip;
  }

  /** Capture time of the packet that ends at `granule`, which arrived at `arrivalMs`. */
  stamp(granule: number, arrivalMs: number): number {
    const endMs = ((granule - this.#preSkip) / OPUS_GRANULE_RATE) * 1000;
    const origin = arrivalMs - endMs;
    if (!(origin >= this.#origin)) this.#origin = origin; // NaN or earlier: take it
    return this.#origin + endMs - (PACKET_SAMPLES / OPUS_GRANULE_RATE) * 1000;
  }
}
