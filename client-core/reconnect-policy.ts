// When both clients try the relay again after a drop: exponential backoff with jitter (0.5 s
// doubling to 15 s, client-core/backoff.ts), started afresh after a connection that stayed up
// HEALTHY_MS, so a relay restart costs a short wait and a relay that keeps dropping us a long one.
import { Backoff, type BackoffOptions } from "./backoff.ts";

/** A connection that stayed up this long was healthy: the next drop starts backoff afresh. */
export const HEALTHY_MS = 5000;

export const RECONNECT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 15_000 };

export class ReconnectPolicy {
  readonly #backoff: Backoff;
  readonly #now: () => number;
  #upSince: number | null = null;

  constructor(options: BackoffOptions = RECONNECT_BACKOFF, now: () => number = Date.now) {
    this.#backoff = new Backoff(options);
    this.#now = now;
  }

  /** The connection is up (the CLI: socket open; the page: welcomed). */
  up(): void {
    this.#upSince = this.#now();
  }

  /** It dropped, or a try failed: how long to wait before the next one. */
  nextDelay(): number {
    const upSince = this.#upSince;
    this.#upSince = null;
    if (upSince !== null && this.#now() - upSince >= HEALTHY_MS) this.#backoff.reset();
    return this.#backoff.next();
  }
}
