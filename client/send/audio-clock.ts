// Capture stamps for Opus packets read from ffmpeg. A packet arrives some time after its sound
// was captured (encoder lookahead, page flush, pipe); its granule position says exactly where it
// lies in the stream. Stamp = origin + the packet's stream start time, where origin is a slowly
// moving average of (arrival − stream end time): smooth (no pipe jitter in the stamps), following
// a sound card's clock drift, and with the same typical delay the video's arrival stamps carry
// (ffmpeg releases a picture when the sound output has caught up with it: one process, one
// pace), so a flash and a beep made together are stamped together. Pure: tested with made-up
// arrivals.
import { OPUS_GRANULE_RATE } from "./ogg-opus.ts";

/** Opus packets are 20 ms: 960 samples at 48 kHz. */
const PACKET_SAMPLES = 960;
/**
 * Sound is stamped this much later than the estimate. People notice sound 45 ms early but not
 * 125 ms late (ITU-R BT.1359), and this estimate and the picture's (frame-clock.ts) settle up to
 * a frame apart from run to run and between ffmpeg builds (−49 to +14 ms measured through the
 * relay into a recording): aiming 20 ms into the tolerant side keeps all of those inside.
 */
export const SOUND_LATE_BIAS_MS = 20;

/** Weight of each new packet in the average (about the last 50 packets, one second). */
const SMOOTHING = 0.02;

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
    this.#origin = Number.isNaN(this.#origin)
      ? origin
      : this.#origin + (origin - this.#origin) * SMOOTHING;
    return this.#origin + endMs - (PACKET_SAMPLES / OPUS_GRANULE_RATE) * 1000 + SOUND_LATE_BIAS_MS;
  }
}
