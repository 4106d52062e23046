// RedisBus, part 1 of 3: this relay's node lease. A node id (the high bits of every sender id
// it issues) is held as a Redis key with a TTL, claimed atomically on each (re)connection and
// renewed by the heartbeat; a relay whose key has expired is dead to the others.
import { log } from "../log.ts";
import { nodeKey } from "./bus-names.ts";
import { NODE_TTL_MS, SWEEP_GRACE_MS } from "./cluster-config.ts";
import { clusterStats } from "./cluster-metrics.ts";
import { ClusterPeerIds, randomNodeId } from "./peer-ids.ts";
import type { RedisLink } from "./redis-link.ts";

/** Sets the node key when it is free or already ours (atomic, so two relays never share an id). */
const CLAIM_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
const CLAIM_ATTEMPTS = 20;

/** Deletes our node key on the way out, unless another relay has (somehow) taken it since. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisNodeLease {
  readonly #ids = new ClusterPeerIds(randomNodeId());
  /** Tells this process's node key from a dead predecessor's with the same id. */
  readonly #token = crypto.randomUUID();
  #claimed = false;
  #idsIssued = false;

  constructor(private readonly link: RedisLink) {
    clusterStats.nodeId = this.#ids.nodeId;
  }

  get nodeId(): number {
    return this.#ids.nodeId;
  }

  /** True once the node id has been claimed in Redis (rosters are published only then). */
  get claimed(): boolean {
    return this.#claimed;
  }

  /** A cluster-unique sender id (node id in the high bits). */
  allocatePeerId(): number {
    this.#idsIssued = true;
    return this.#ids.allocate();
  }

  /** On every (re)connection: take the node id, or another one if a live relay holds it. */
  async claimNodeId(): Promise<void> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      if (await this.#claim()) {
        if (!this.#claimed) log("notice", "cluster_joined", { node: this.nodeId });
        this.#claimed = true;
        return;
      }
      // Held by another live relay: take another id. Peers that already got ids under the old
      // one keep them, so say so loudly (only possible when Redis was unreachable at start).
      const taken = this.nodeId;
      this.#ids.nodeId = randomNodeId();
      clusterStats.nodeId = this.#ids.nodeId;
      log(this.#idsIssued ? "error" : "info", "cluster_node_id_taken", {
        taken,
        next: this.nodeId,
        peersWithOldId: this.#idsIssued,
      });
    }
    throw new Error(`no free node id after ${CLAIM_ATTEMPTS} attempts`);
  }

  /** Each heartbeat: keep the key alive; claim again if it was lost. */
  async renew(): Promise<void> {
    if (!(await this.#claim())) {
      log("error", "cluster_node_id_lost", { node: this.nodeId });
      await this.claimNodeId();
    }
  }

  /** Which of these relays still hold their node key. */
  async alive(nodes: number[]): Promise<boolean[]> {
    const holders = await this.link.commands.mget(...nodes.map(nodeKey));
    return holders.map((holder) => holder !== null);
  }

  /**
   * A Redis that (re)started recently holds no node keys until every relay has reconnected:
   * give them SWEEP_GRACE_MS of its uptime. A Redis up for longer (we only lost our own
   * connection) has them all, so there is nothing to wait for.
   */
  async graceAfterConnect(): Promise<number> {
    const info = await this.link.commands.info("server");
    const uptimeMs = Number(/uptime_in_seconds:(\d+)/.exec(info)?.[1] ?? 0) * 1000;
    return Math.max(0, SWEEP_GRACE_MS - uptimeMs);
  }

  /** On the way out (fire and forget: a failure means the link is down anyway). */
  release(): void {
    this.link.commands.eval(RELEASE_SCRIPT, 1, nodeKey(this.nodeId), this.#token).catch(ignore);
  }

  async #claim(): Promise<boolean> {
    const result = await this.link.commands.eval(
      CLAIM_SCRIPT,
      1,
      nodeKey(this.nodeId),
      this.#token,
      NODE_TTL_MS,
    );
    return result === 1;
  }
}

export function ignore(): void {
  // Fire-and-forget Redis writes: a failure means the link is down, and the resync redoes them.
}
