// Live numbers for one stream, for both clients (a tile's label, a CLI status line): frames and
// kB per second and capture-to-screen latency over the last couple of seconds, a sliding window,
// so they show what is happening now rather than a lifetime average.

const WINDOW_MS = 2000;

export interface MeterReading {
  fps: number;
  kBps: number;
  /** Mean latency of the frames in the window, in ms; null when there were none. */
  latencyMs: number | null;
}

export class FrameMeter {
  readonly #times: number[] = [];
  readonly #latencies: number[] = [];
  readonly #bytes: number[] = [];
  readonly #windowMs: number;
  #firstAt: number | null = null;

  constructor(windowMs = WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /** One frame of `bytes` shown at `nowMs`, captured `latencyMs` earlier (NaN when unknown). */
  record(nowMs: number, latencyMs: number, bytes = 0): void {
    this.#firstAt ??= nowMs;
    this.#times.push(nowMs);
    this.#latencies.push(latencyMs);
    this.#bytes.push(bytes);
    this.#prune(nowMs);
  }

  read(nowMs: number): MeterReading {
    this.#prune(nowMs);
    const count = this.#times.length;
    if (count === 0) return { fps: 0, kBps: 0, latencyMs: null };
    const known = this.#latencies.filter(Number.isFinite);
    const latencyMs =
      known.length > 0 ? known.reduce((sum, value) => sum + value, 0) / known.length : null;
    // A full window: frames in it over its length. A stream younger than the window: intervals
    // between its frames over their span (at least 250 ms, so two quick frames don't read as
    // hundreds of fps).
    const ageMs = nowMs - (this.#firstAt ?? nowMs);
    const spanMs = (this.#times[count - 1] ?? nowMs) - (this.#times[0] ?? nowMs);
    const full = ageMs >= this.#windowMs;
    const seconds = (full ? this.#windowMs : Math.max(spanMs, 250)) / 1000;
    const fps = (full ? count : count - 1) / seconds;
    // Bytes like frames: a young stream's first frame only opens its span.
    const bytes =
      this.#bytes.reduce((sum, value) => sum + value, 0) - (full ? 0 : (this.#bytes[0] ?? 0));
    return { fps, kBps: bytes / 1024 / seconds, latencyMs };
  }

  #prune(nowMs: number): void {
    let drop = 0;
    while (drop < this.#times.length && (this.#times[drop] ?? 0) < nowMs - this.#windowMs) drop++;
    if (drop > 0) {
      this.#times.splice(0, drop);
      this.#latencies.splice(0, drop);
      this.#bytes.splice(0, drop);
    }
  }
}
