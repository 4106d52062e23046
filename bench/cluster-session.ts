// The cluster scenario's setup: redis-server, relays A and B joined through it, the publisher on
// A and the receivers alternating A, B. Load client 0 holds everyone on A and load client 1
// everyone on B, so each client's report is one side: same-relay or cross-relay delivery.

import { startRedis } from "../harness/redis-process.ts";
import { type RelayProcess, startRelayProcess } from "../harness/relay-process.ts";
import { roomUrl } from "../protocol/index.ts";
import { ClientPool } from "./client-pool.ts";
import type { ParticipantSpec } from "./client-protocol.ts";
import type { Scenario } from "./scenarios.ts";
import type { TargetSession } from "./target-session.ts";

export interface ClusterSession {
  /** Both sides in one pool: measurePhase drives it like any session (relay figures: A's). */
  session: TargetSession;
  onA: ParticipantSpec[];
  onB: ParticipantSpec[];
}

/** Waits until relay A knows about B's receivers, so the first phase already crosses. */
async function waitForRemotePeers(relay: RelayProcess, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
    const value = Number(/^framecast_cluster_remote_peers (\S+)$/m.exec(text)?.[1] ?? 0);
    if (value >= count) return;
    await Bun.sleep(50);
  }
  throw new Error(`relay A did not see relay B's ${count} receivers within 10 s`);
}

export async function openClusterSession(
  script: string,
  relayArgs: string[],
  scenario: Scenario,
  jpeg: Uint8Array,
): Promise<ClusterSession> {
  const redis = await startRedis();
  const relays: RelayProcess[] = [];
  let pool: ClientPool | null = null;
  try {
    const args = ["--redis", redis.url, `--max-peers=${scenario.receivers + 1}`, ...relayArgs];
    relays.push(await startRelayProcess(script, args), await startRelayProcess(script, args));
    const [a, b] = relays as [RelayProcess, RelayProcess];
    const room = `bench-cluster-${process.pid}-${Date.now().toString(36)}`;
    const onA: ParticipantSpec[] = [
      {
        index: 0,
        name: "pub-0",
        url: roomUrl(a.url, room, { name: "pub-0" }),
        legacy: false,
        publishes: true,
      },
    ];
    const onB: ParticipantSpec[] = [];
    for (let i = 1; i <= scenario.receivers; i++) {
      const side = i % 2 === 0 ? onA : onB;
      const name = `sub-${i}-${side === onA ? "A" : "B"}`;
      side.push({
        index: i,
        name,
        url: roomUrl(side === onA ? a.url : b.url, room, { name }),
        legacy: false,
        publishes: false,
      });
    }
    // ClientPool deals participants round-robin by position: even → client 0 (A), odd → 1 (B).
    // A has the publisher and half the receivers: at most one more than B, so this interleaves.
    const dealt = onA.flatMap((spec, i) => (onB[i] ? [spec, onB[i]] : [spec]));
    if (onA.length - onB.length !== 1 && onA.length !== onB.length) {
      throw new Error("cluster scenario: relay A may hold at most one participant more than B");
    }
    pool = await ClientPool.start(dealt, 2, jpeg);
    const clock = await pool.checkClocks();
    await waitForRemotePeers(a, onB.length);
    const openPool = pool;
    return {
      onA,
      onB,
      session: {
        target: "framecast",
        relayUrl: a.url,
        httpUrl: a.httpUrl,
        relayPid: a.pid,
        clientPids: pool.pids,
        pool,
        participants: dealt,
        clock,
        relayDeath: () => a.death() ?? b.death(),
        close: async () => {
          await openPool.stop();
          await Promise.all(relays.map((r) => r.stop()));
          await redis.stop();
        },
      },
    };
  } catch (error) {
    await pool?.stop();
    await Promise.all(relays.map((r) => r.stop()));
    await redis.stop();
    throw error;
  }
}
