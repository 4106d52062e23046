// When one layer's H.264 encoder is told to make a key frame (docs/BROWSER.md, "Key frames"):
// on the relay's keyframe_request (it rate-limits them: at most one per 500 ms per layer), when
// the stream starts over (first frame, resumed after codecs_needed said nobody decodes it, a new
// connection, a chunk that could not be sent), and at least every MAX_KEY_INTERVAL_MS, so
// receivers on other relays of a cluster (never asked for) wait at most that long. A key frame
// the encoder makes on its own also restarts the interval. Pure: the caller passes the time.

export const MAX_KEY_INTERVAL_MS = 2000;

export class KeyframeSchedule {
  #lastKeyMs = Number.NEGATIVE_INFINITY;
  #wanted = true;

  constructor(readonly intervalMs = MAX_KEY_INTERVAL_MS) {}

  /** The next frame must be a key frame (a request, or the stream starts over). */
  request(): void {
    this.#wanted = true;
  }

  /** Whether the frame about to be encoded at `nowMs` is to be a key frame; true counts as one. */
  next(nowMs: number): boolean {
    if (!this.#wanted && nowMs - this.#lastKeyMs < this.intervalMs) return false;
    this.#wanted = false;
    this.#lastKeyMs = nowMs;
    return true;
  }

  /** The encoder made a key frame (asked or not): the interval starts again. */
  keyMade(nowMs: number): void {
    this.#lastKeyMs = Math.max(this.#lastKeyMs, nowMs);
  }
}
