// What moderation must remember beyond one socket: removed tokens (the deny list) and locked
// rooms. A lone relay keeps them in memory (this file); a cluster keeps them in Redis too, so
// every relay refuses the same joins (relay/cluster/redis-moderation-store.ts).

export interface ModerationStore {
  /** The token may not join again until it expires (`expiresAt`: seconds since the epoch). */
  deny(tokenId: string, expiresAt: number): void;
  isDenied(tokenId: string): Promise<boolean>;
  setLocked(room: string, locked: boolean): void;
  isLocked(room: string): Promise<boolean>;
  /** Tokens in the room when it was locked: they may come back (a dropped link reconnecting). */
  seat(room: string, tokenIds: string[]): void;
  isSeated(room: string, tokenId: string): Promise<boolean>;
  /** Sizes of what it holds here, for GET /debug/counts (relay/debug/relay-counts.ts). */
  counts(): Record<string, number>;
}

/** Entries past this many are swept of expired ones before another is added. */
const SWEEP_AT = 10_000;

export class MemoryModerationStore implements ModerationStore {
  /** Token id → expiry in ms. */
  readonly #denied = new Map<string, number>();
  readonly #locked = new Set<string>();
  readonly #seated = new Map<string, Set<string>>();

  counts(): Record<string, number> {
    // Denied tokens stay until they expire (swept past SWEEP_AT): by design, not a leak.
    return {
      deniedTokens: this.#denied.size,
      lockedRooms: this.#locked.size,
      seatedRooms: this.#seated.size,
    };
  }

  deny(tokenId: string, expiresAt: number): void {
    if (this.#denied.size >= SWEEP_AT) this.#sweep();
    this.#denied.set(tokenId, expiresAt * 1000);
  }

  deniedNow(tokenId: string): boolean {
    const until = this.#denied.get(tokenId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#denied.delete(tokenId);
    return false;
  }

  async isDenied(tokenId: string): Promise<boolean> {
    return this.deniedNow(tokenId);
  }

  setLocked(room: string, locked: boolean): void {
    if (locked) this.#locked.add(room);
    else {
      this.#locked.delete(room);
      this.#seated.delete(room);
    }
  }

  seat(room: string, tokenIds: string[]): void {
    const seated = this.#seated.get(room) ?? new Set<string>();
    for (const id of tokenIds) seated.add(id);
    this.#seated.set(room, seated);
  }

  seatedNow(room: string, tokenId: string): boolean {
    return this.#seated.get(room)?.has(tokenId) === true;
  }

  async isSeated(room: string, tokenId: string): Promise<boolean> {
    return this.seatedNow(room, tokenId);
  }

  lockedNow(room: string): boolean {
    return this.#locked.has(room);
  }

  async isLocked(room: string): Promise<boolean> {
    return this.#locked.has(room);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, until] of this.#denied) if (until <= now) this.#denied.delete(id);
  }
}
