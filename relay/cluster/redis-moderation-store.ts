// The deny list and room locks of a cluster: in Redis, so a token removed on one relay is refused
// at every relay and a lock holds for joins anywhere; also in memory, so this relay keeps its
// own decisions while Redis is down (joins are then checked against what it knows).
import { log } from "../log.ts";
import { MemoryModerationStore, type ModerationStore } from "../moderation/moderation-store.ts";
import { denyKey, lockKey, seatedKey } from "./bus-names.ts";
import type { RedisLink } from "./redis-link.ts";

/** A lock outlives the call by at most this long if nobody unlocks it (rooms are reused). */
const LOCK_TTL_MS = 24 * 3600 * 1000;

export class RedisModerationStore implements ModerationStore {
  readonly #local = new MemoryModerationStore();

  constructor(private readonly link: RedisLink) {}

  counts(): Record<string, number> {
    return this.#local.counts();
  }

  deny(tokenId: string, expiresAt: number): void {
    this.#local.deny(tokenId, expiresAt);
    const ttlMs = expiresAt * 1000 - Date.now();
    if (ttlMs <= 0 || !this.link.up) return;
    this.link.commands
      .set(denyKey(tokenId), "1", "PX", Math.ceil(ttlMs))
      .catch((error: Error) => log("warn", "cluster_deny_failed", { error: error.message }));
  }

  async isDenied(tokenId: string): Promise<boolean> {
    if (this.#local.deniedNow(tokenId)) return true;
    if (!this.link.up) return false;
    try {
      return (await this.link.commands.exists(denyKey(tokenId))) === 1;
    } catch {
      return false;
    }
  }

  setLocked(room: string, locked: boolean): void {
    this.#local.setLocked(room, locked);
    if (!this.link.up) return;
    const done = locked
      ? this.link.commands.set(lockKey(room), "1", "PX", LOCK_TTL_MS)
      : this.link.commands.del(lockKey(room), seatedKey(room));
    done.catch((error: Error) => log("warn", "cluster_lock_failed", { error: error.message }));
  }

  async isLocked(room: string): Promise<boolean> {
    if (!this.link.up) return this.#local.lockedNow(room);
    try {
      return (await this.link.commands.exists(lockKey(room))) === 1;
    } catch {
      return this.#local.lockedNow(room);
    }
  }

  seat(room: string, tokenIds: string[]): void {
    this.#local.seat(room, tokenIds);
    if (tokenIds.length === 0 || !this.link.up) return;
    this.link.commands
      .pipeline()
      .sadd(seatedKey(room), ...tokenIds)
      .pexpire(seatedKey(room), LOCK_TTL_MS)
      .exec()
      .catch((error: Error) => log("warn", "cluster_lock_failed", { error: error.message }));
  }

  async isSeated(room: string, tokenId: string): Promise<boolean> {
    if (this.#local.seatedNow(room, tokenId)) return true;
    if (!this.link.up) return false;
    try {
      return (await this.link.commands.sismember(seatedKey(room), tokenId)) === 1;
    } catch {
      return false;
    }
  }
}
