// When a relay or Redis goes away: a killed relay's peers leave the others' presence within a
// bounded time; with Redis down local rooms keep working, and cross-relay delivery comes back
// with it. Each test owns its redis-server and relays and kills them all, pass or fail.
import { expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import type { SpawnedRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame, readSequence, type WelcomeMessage } from "../../protocol/index.ts";
import { HEARTBEAT_MS, NODE_TTL_MS, SWEEP_GRACE_MS } from "../../relay/cluster/cluster-config.ts";
import {
  knownPeers,
  metric,
  sameSet,
  startClusterRelay,
  waitForLog,
  waitUntil,
} from "../support/cluster.ts";
import { TestPeer } from "../support/peer.ts";
import { hasRedis, TestRedis } from "../support/redis.ts";

type V1Peer = TestPeer & { welcome: WelcomeMessage };

/** Runs `body` with a fresh redis-server and `count` relays; stops every one of them after. */
async function withCluster(
  count: number,
  body: (redis: TestRedis, relays: Array<SpawnedRelay & { node: number }>) => Promise<void>,
): Promise<void> {
  const redis = await TestRedis.start();
  const relays: Array<SpawnedRelay & { node: number }> = [];
  try {
    relays.push(
      ...(await Promise.all(Array.from({ length: count }, () => startClusterRelay(redis.url)))),
    );
    await body(redis, relays);
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    await redis.stop();
  }
}

async function everyoneKnowsEveryone(peers: V1Peer[]): Promise<void> {
  const ids = peers.map((p) => p.welcome.id);
  for (const peer of peers) {
    await waitUntil(`${peer.welcome.name} to know everyone`, () =>
      sameSet(
        knownPeers(peer),
        ids.filter((id) => id !== peer.welcome.id),
      ),
    );
  }
}

test.skipIf(!hasRedis)(
  "a killed relay's peers leave the others' presence within the heartbeat expiry",
  async () => {
    const redisStartedAt = performance.now();
    await withCluster(3, async (_redis, [a, b, c]) => {
      if (!a || !b || !c) throw new Error("three relays");
      const pa = await TestPeer.join(a.wsUrl, "k", "pa");
      const pb = await TestPeer.join(b.wsUrl, "k", "pb");
      const pc = await TestPeer.join(c.wsUrl, "k", "pc");
      const pc2 = await TestPeer.join(c.wsUrl, "k", "pc2");
      try {
        await everyoneKnowsEveryone([pa, pb, pc, pc2]);
        // This Redis has just started: relays declare no one dead until it is SWEEP_GRACE_MS old.
        await Bun.sleep(Math.max(0, redisStartedAt + SWEEP_GRACE_MS - performance.now()));
        const killedAt = performance.now();
        c.proc.kill("SIGKILL"); // no goodbye: only its heartbeat key expiring tells
        const gone = [pc.welcome.id, pc2.welcome.id];
        const leftAfter: number[] = [];
        for (const peer of [pa, pb]) {
          await waitUntil(
            `${peer.welcome.name} to see relay C's peers leave`,
            () => !gone.some((id) => knownPeers(peer).has(id)),
            NODE_TTL_MS + 5000,
          );
          leftAfter.push(Math.round(performance.now() - killedAt));
        }
        console.log(`killed relay's peers removed after ${leftAfter.join(" / ")} ms`);
        // The key expires 2-3 s after the last refresh; the next sweep (every 1 s) sees it.
        expect(Math.max(...leftAfter)).toBeLessThan(NODE_TTL_MS + HEARTBEAT_MS + 1000);
        expect(await metric(a, "framecast_cluster_nodes_expired_total")).toBe(1);
        // The survivors still reach each other, and nobody else left.
        expect(knownPeers(pa)).toEqual(new Set([pb.welcome.id]));
        pa.ws.send(encodeVideoFrame(makeJpeg(16, 16, 1), Date.now(), 0));
        await pb.waitFor(() => pb.binary.length === 1, "a frame after the kill");
      } finally {
        for (const peer of [pa, pb, pc, pc2]) peer.close();
      }
    });
  },
  60_000,
);

test.skipIf(!hasRedis)(
  "Redis down: local rooms keep working; Redis back: cross-relay delivery resumes",
  async () => {
    await withCluster(2, async (redis, [a, b]) => {
      if (!a || !b) throw new Error("two relays");
      const a1 = await TestPeer.join(a.wsUrl, "r", "a1");
      const a2 = await TestPeer.join(a.wsUrl, "r", "a2");
      const b1 = await TestPeer.join(b.wsUrl, "r", "b1");
      let seq = 0;
      const send = () => a1.ws.send(encodeVideoFrame(makeJpeg(16, 16, seq), Date.now(), seq++));
      try {
        await everyoneKnowsEveryone([a1, a2, b1]);
        send();
        await b1.waitFor(() => b1.binary.length === 1, "a frame before the outage");

        const logsBefore = a.logs.length;
        await redis.stop();
        await waitForLog(a, "cluster_link_down", 5000, logsBefore);
        expect(await metric(a, "framecast_cluster_link_up")).toBe(0);
        const unsentBefore = await metric(a, "framecast_cluster_frames_unsent_total");
        // Local delivery does not depend on Redis.
        const a2Before = a2.binary.length;
        for (let i = 0; i < 10; i++) send();
        await a2.waitFor(
          () => a2.binary.length === a2Before + 10,
          "local frames while Redis is down",
        );
        expect(await metric(a, "framecast_cluster_frames_unsent_total")).toBe(unsentBefore + 10);
        expect(b1.binary.length).toBe(1);

        const restartedAt = performance.now();
        await redis.restart();
        // Frames at 20 fps until one crosses again: how long the cluster takes to heal.
        const b1Before = b1.binary.length;
        while (b1.binary.length === b1Before) {
          if (performance.now() - restartedAt > 15_000) throw new Error("no cross-relay frame");
          send();
          await Bun.sleep(50);
        }
        console.log(
          `cross-relay delivery back ${Math.round(performance.now() - restartedAt)} ms after Redis restarted`,
        );
        expect(await metric(a, "framecast_cluster_link_up")).toBe(1);
        expect(await metric(b, "framecast_cluster_link_up")).toBe(1);
        // Now every frame crosses exactly once again, and presence survived the outage intact.
        await Bun.sleep(300);
        const from = seq;
        for (let i = 0; i < 10; i++) send();
        const fresh = () => b1.binary.map(readSequence).filter((s) => s >= from);
        await b1.waitFor(() => fresh().length >= 10, "10 frames after recovery");
        await Bun.sleep(200);
        expect(fresh()).toEqual(Array.from({ length: 10 }, (_, i) => from + i));
        await everyoneKnowsEveryone([a1, a2, b1]);
      } finally {
        for (const peer of [a1, a2, b1]) peer.close();
      }
    });
  },
  60_000,
);
