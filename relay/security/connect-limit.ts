// New WebSocket connections per client address per minute. A fixed one-minute window per address;
// the table is swept every minute and capped, so a spray of addresses can't grow it without bound.

const WINDOW_MS = 60_000;
/** More distinct addresses than this inside one minute: the oldest windows are forgotten early. */
const MAX_TRACKED_ADDRESSES = 100_000;

interface Window {
  startedAt: number;
  count: number;
}

export function isLoopbackAddress(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

export class ConnectLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly perMinute: number,
    private readonly exempt: readonly string[],
  ) {
    if (perMinute > 0) {
      this.#sweeper = setInterval(() => this.#sweep(Date.now()), WINDOW_MS);
      this.#sweeper.unref();
    }
  }

  /** Counts one attempt from `address`; false when it is over the limit. */
  allow(address: string | undefined, now = Date.now()): boolean {
    if (this.perMinute === 0 || address === undefined || this.#isExempt(address)) return true;
    let window = this.#windows.get(address);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      if (!window && this.#windows.size >= MAX_TRACKED_ADDRESSES) this.#sweep(now, true);
      window = { startedAt: now, count: 0 };
      this.#windows.set(address, window);
    }
    window.count++;
    return window.count <= this.perMinute;
  }

  /** Seconds until `address` may connect again (for Retry-After). */
  retryAfterSeconds(address: string | undefined, now = Date.now()): number {
    const window = address === undefined ? undefined : this.#windows.get(address);
    if (!window) return 1;
    return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
  }

  get trackedAddresses(): number {
    return this.#windows.size;
  }

  stop(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
  }

  #isExempt(address: string): boolean {
    if (this.exempt.length === 0) return false;
    if (this.exempt.includes("loopback") && isLoopbackAddress(address)) return true;
    return this.exempt.includes(address);
  }

  /** Drops finished windows; when `hard`, also the older half of the live ones. */
  #sweep(now: number, hard = false): void {
    for (const [address, window] of this.#windows) {
      if (now - window.startedAt >= WINDOW_MS) this.#windows.delete(address);
    }
    if (!hard || this.#windows.size < MAX_TRACKED_ADDRESSES) return;
    let toDrop = this.#windows.size >> 1;
    // Maps iterate in insertion order, so the first entries are the oldest windows.
    for (const address of this.#windows.keys()) {
      if (toDrop-- <= 0) break;
      this.#windows.delete(address);
    }
  }
}
