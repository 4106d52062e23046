// View-only marks across relays: two relays with join tokens sharing a room through a real
// redis-server; a viewer on one relay is marked `viewOnly: true` in the presence the other relay's
// participants get (their `join`, and a later joiner's `welcome`), a publisher is not.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { WelcomeMessage } from "../../protocol/index.ts";
import { type ClusterRelay, startClusterRelay } from "../support/cluster.ts";
import type { TestPeer } from "../support/peer.ts";
import { hasRedis, TestRedis } from "../support/redis.ts";
import { OptionsPeer, SECRET, token } from "../support/secure-peer.ts";

const ROOM = "stage";
let redis: TestRedis | undefined;
const relays: ClusterRelay[] = [];
const peers: TestPeer[] = [];

beforeAll(async () => {
  if (!hasRedis) return;
  redis = await TestRedis.start();
  const url = redis.url;
  relays.push(
    ...(await Promise.all([0, 1].map(() => startClusterRelay(url, ["--auth-secret", SECRET])))),
  );
}, 30_000);

afterAll(async () => {
  for (const peer of peers) peer.close();
  await Promise.all(relays.map((relay) => relay.stop()));
  await redis?.stop();
}, 30_000);

async function enter(
  at: ClusterRelay,
  name: string,
  canPublish: boolean,
): Promise<TestPeer & { welcome: WelcomeMessage }> {
  const joinToken = await token(ROOM, name, { canPublish });
  const peer = await OptionsPeer.join(`${at.wsUrl}/v1/rooms/${ROOM}?token=${joinToken}`);
  peers.push(peer);
  return peer;
}

test.skipIf(!hasRedis)(
  "a viewer on one relay is marked view only on the other; a publisher is not",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const speaker = await enter(a, "speaker", true);
    const viewer = await enter(b, "viewer", false);
    expect(viewer.welcome.viewOnly).toBe(true);
    // The speaker (relay A) learns of the viewer (relay B) from B's roster.
    const joined = await speaker.until(
      () => speaker.controls.find((c) => c.type === "join" && c.peer.name === "viewer"),
      "the viewer's join across relays",
      10_000,
    );
    expect(joined.type === "join" && joined.peer.viewOnly).toBe(true);
    // Someone joining A later gets both in its welcome: the viewer marked, the speaker not.
    const late = await enter(a, "late", true);
    await late.until(() => late.welcome.peers.length === 2 || undefined, "both in the welcome");
    const byName = new Map(late.welcome.peers.map((p) => [p.name, p]));
    expect(byName.get("viewer")?.viewOnly).toBe(true);
    expect(byName.get("speaker")?.viewOnly).toBeUndefined();
    // And the viewer, on B, sees the speaker unmarked.
    expect(viewer.welcome.peers.find((p) => p.name === "speaker")?.viewOnly).toBeUndefined();
  },
  30_000,
);
