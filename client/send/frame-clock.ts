// Smooth capture stamps for the pictures of a constant-rate source captured together with sound.
// When one ffmpeg encodes both, it hands out pictures in bursts, held back to the audio
// encoder's pace (each output waits for the one that is behind), so arrival times jitter by tens
// of milliseconds. Frame k is stamped origin + k / fps instead, origin being a slowly moving
// average of (arrival − k / fps): the same kind of stamp as the sound's (audio-clock.ts), so a
// flash and a beep made together keep the same stamps. Pure: tested with made-up arrivals.

/** Weight of each new frame in the average (about the last 50 frames). */
const SMOOTHING = 0.02;

export class FrameClock {
  #origin = Number.NaN;

  constructor(private readonly intervalMs: number) {}

  /** Capture time of frame `index` (0, 1, 2... of this run), which arrived at `arrivalMs`. */
  stamp(index: number, arrivalMs: number): number {
    const at = index * this.intervalMs;
    const origin = arrivalMs - at;
    this.#origin = Number.isNaN(this.#origin)
      ? origin
      : this.#origin + (origin - this.#origin) * SMOOTHING;
    return this.#origin + at;
  }
}
