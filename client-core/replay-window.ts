// Replay protection for one sender salt (RFC 4303-style sliding window): a counter is accepted
// once. Counters may arrive out of order by up to WINDOW (the relay delivers a sender's video,
// sound and layers on different paths, each in order, but not in order with each other).

/** How far behind the newest counter a frame may arrive and still be accepted. */
export const REPLAY_WINDOW = 256;

export class ReplayWindow {
  #highest = -1;
  readonly #seen = new Uint8Array(REPLAY_WINDOW);

  /** True the first time `counter` is seen (and it is not too old); false for a replay. */
  accept(counter: number): boolean {
    if (counter > this.#highest) {
      const advance = counter - this.#highest;
      if (this.#highest < 0 || advance >= REPLAY_WINDOW) this.#seen.fill(0);
      else for (let c = this.#highest + 1; c < counter; c++) this.#seen[c % REPLAY_WINDOW] = 0;
      this.#seen[counter % REPLAY_WINDOW] = 1;
      this.#highest = counter;
      return true;
    }
    if (this.#highest - counter >= REPLAY_WINDOW) return false;
    const slot = counter % REPLAY_WINDOW;
    if (this.#seen[slot] === 1) return false;
    this.#seen[slot] = 1;
    return true;
  }
}
