// Exponential backoff with jitter, shared by the reconnect loop and the ffmpeg restart loop.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Random source in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#random = options.random ?? Math.random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /**
   * Delay before the next try: the exponential step, capped, with "equal jitter" (half fixed,
   * half random) so clients that lost the same relay don't all come back in the same instant.
   */
  next(): number {
    const step = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    this.#attempt++;
    return step / 2 + this.#random() * (step / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** A sleep that `cancel()` can cut short (used so Ctrl-C doesn't wait out a backoff). */
export function cancellableSleep(ms: number): { done: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    cancel = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, cancel };
}
