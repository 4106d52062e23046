// Helpers for cluster tests: relays joined to one Redis, their /metrics, and what a peer
// currently believes the room holds (its welcome, then every join and leave since).
import { afterAll, beforeAll } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import type { TestPeer } from "./peer.ts";
import { hasRedis, TestRedis } from "./redis.ts";

/** Starts a relay with --redis and waits until it has claimed its node id. */
export async function startClusterRelay(redisUrl: string, args: string[] = []) {
  const relay = await startRelay(["--redis", redisUrl, ...args]);
  try {
    const joined = await waitForLog(relay, "cluster_joined", 10_000);
    return Object.assign(relay, { node: joined.node as number });
  } catch (error) {
    await relay.stop();
    throw error;
  }
}

export async function waitForLog(
  relay: SpawnedRelay,
  event: string,
  timeoutMs = 5000,
  after = 0,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const entry = relay.logs.slice(after).find((e) => e.event === event);
    if (entry) return entry;
    await Bun.sleep(20);
  }
  throw new Error(`relay logged no ${event} within ${timeoutMs} ms`);
}

/** A counter or gauge from the relay's /metrics (first series of that name). */
export async function metric(relay: SpawnedRelay, name: string): Promise<number> {
  const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  if (!match?.[1]) throw new Error(`no ${name} in /metrics`);
  return Number(match[1]);
}

/** Ids a v1 peer knows to be in its room: its welcome's peers, plus joins, minus leaves. */
export function knownPeers(peer: TestPeer & { welcome: { peers: { id: number }[] } }): Set<number> {
  const ids = new Set(peer.welcome.peers.map((p) => p.id));
  for (const control of peer.controls) {
    if (control.type === "join") ids.add(control.peer.id);
    if (control.type === "leave") ids.delete(control.id);
  }
  return ids;
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function sameSet(a: Set<number>, b: Iterable<number>): boolean {
  const other = new Set(b);
  return a.size === other.size && [...a].every((x) => other.has(x));
}

export type ClusterRelay = Awaited<ReturnType<typeof startClusterRelay>>;

/**
 * For one test file: a real redis-server and `count` relays on it, started before the file's
 * tests; after them, everything in `closeAfter` is closed and every process stopped. Without
 * redis-server (outside CI: `hasRedis` has said so, and the tests skip) nothing is started.
 */
export function clusterForFile(count: number) {
  const cluster = {
    redis: undefined as TestRedis | undefined,
    relays: [] as ClusterRelay[],
    closeAfter: [] as { close(): void }[],
  };
  beforeAll(async () => {
    if (!hasRedis) return;
    const redis = await TestRedis.start();
    cluster.redis = redis;
    cluster.relays.push(
      ...(await Promise.all(Array.from({ length: count }, () => startClusterRelay(redis.url)))),
    );
  }, 30_000);
  afterAll(async () => {
    for (const item of cluster.closeAfter) item.close();
    await Promise.all(cluster.relays.map((relay) => relay.stop()));
    await cluster.redis?.stop();
  }, 30_000);
  return cluster;
}
