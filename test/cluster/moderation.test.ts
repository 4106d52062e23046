// Chat, hands and host controls across two relays sharing a room through a real redis-server:
// chat crosses to the other relay, a hand raised on one shows on the other, a moderator on relay
// A stops and removes a participant on relay B, the removed token is refused at both relays,
// and a lock set on A refuses a newcomer at B.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type ChatMessage,
  CloseCode,
  encodeAudioPacket,
  encodeChat,
  encodeHand,
  encodeModerate,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import { type ClusterRelay, startClusterRelay } from "../support/cluster.ts";
import type { TestPeer } from "../support/peer.ts";
import { hasRedis, TestRedis } from "../support/redis.ts";
import { OptionsPeer, SECRET, token, tryUpgrade } from "../support/secure-peer.ts";

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
  room: string,
  name: string,
  canModerate = false,
): Promise<TestPeer & { welcome: WelcomeMessage; jwt: string }> {
  const jwt = await token(room, name, { canModerate });
  const peer = await OptionsPeer.join(`${at.wsUrl}/v1/rooms/${room}?token=${jwt}`);
  peers.push(peer);
  return Object.assign(peer, { jwt });
}

/** Waits until `peer` knows `name` is in its room (welcome or join). */
function sees(peer: TestPeer & { welcome: WelcomeMessage }, name: string) {
  return peer.until(
    () =>
      peer.welcome.peers.some((p) => p.name === name) ||
      peer.controls.some((c) => c.type === "join" && c.peer.name === name),
    `${name} across relays`,
    10_000,
  );
}

test.skipIf(!hasRedis)("chat and hands cross to the other relay", async () => {
  const [a, b] = relays as [ClusterRelay, ClusterRelay];
  const alice = await enter(a, "xchat", "alice");
  const bob = await enter(b, "xchat", "bob");
  await sees(alice, "bob");
  await sees(bob, "alice");
  alice.ws.send(encodeChat({ text: "over the bus" }));
  const got = await bob.until(
    () => bob.controls.find((c): c is ChatMessage => c.type === "chat"),
    "alice's chat on relay B",
    10_000,
  );
  expect(got).toMatchObject({ from: alice.welcome.id, name: "alice", text: "over the bus" });
  // A late joiner on relay B gets the message from B's history.
  const late = await enter(b, "xchat", "late");
  await late.until(
    () => late.controls.some((c) => c.type === "chat" && c.history === true),
    "history",
  );
  bob.ws.send(encodeHand(true));
  await alice.until(
    () =>
      alice.controls.some((c) => c.type === "peer_update" && c.peer.name === "bob" && c.peer.hand),
    "bob's hand on relay A",
    10_000,
  );
});

test.skipIf(!hasRedis)(
  "a moderator on relay A stops and removes a participant on relay B; the token is refused at both",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const host = await enter(a, "xmod", "host", true);
    const bob = await enter(b, "xmod", "bob");
    const carol = await enter(a, "xmod", "carol");
    await sees(host, "bob");
    let seq = 0;
    const sender = setInterval(() => {
      bob.ws.send(encodeAudioPacket(new Uint8Array([0xfc, 1, 2]), Date.now(), seq++));
    }, 20);
    try {
      await carol.until(() => carol.binary.length > 5 || undefined, "bob's audio on A", 10_000);
      host.ws.send(encodeModerate("stop", bob.welcome.id, "sound"));
      await bob.waitForControl("moderation", (m) => m.action === "stop", 10_000);
      await Bun.sleep(300);
      const count = carol.binary.length;
      await Bun.sleep(600);
      expect(carol.binary.length).toBe(count);
    } finally {
      clearInterval(sender);
    }
    host.ws.send(encodeModerate("remove", bob.welcome.id));
    expect((await bob.waitForClose(10_000)).code).toBe(CloseCode.Removed);
    for (const relay of [a, b]) {
      const again = await tryUpgrade(`${relay.httpUrl}/v1/rooms/xmod?token=${bob.jwt}`);
      expect(again.status).toBe(403);
      expect(again.body).toContain("removed");
    }
  },
  30_000,
);

test.skipIf(!hasRedis)(
  "a lock set on relay A refuses a newcomer at relay B, not those seated",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const host = await enter(a, "xlock", "host", true);
    const seated = await enter(b, "xlock", "seated");
    await sees(host, "seated");
    host.ws.send(encodeModerate("lock"));
    await host.waitForControl("moderation", (m) => m.action === "lock");
    await seated.waitForControl("moderation", (m) => m.action === "lock", 10_000);
    await Bun.sleep(100);
    // Seated on relay B when the room was locked: it may come back, through relay A too.
    seated.close();
    peers.push(await OptionsPeer.join(`${a.wsUrl}/v1/rooms/xlock?token=${seated.jwt}`));
    const refused = await tryUpgrade(
      `${b.httpUrl}/v1/rooms/xlock?token=${await token("xlock", "late")}`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("locked");
    host.ws.send(encodeModerate("unlock"));
    await host.waitForControl("moderation", (m) => m.action === "unlock");
    await Bun.sleep(100);
    await enter(b, "xlock", "late");
  },
);

test.skipIf(!hasRedis)(
  "the first participant on relay B gets the chat history held on relay A",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const alice = await enter(a, "xhist", "alice");
    for (let i = 0; i < 3; i++) alice.ws.send(encodeChat({ text: `earlier ${i}` }));
    await alice.until(
      () => alice.controls.filter((c) => c.type === "chat").length === 3 || undefined,
      "echoes",
    );
    const bob = await enter(b, "xhist", "bob");
    const history = await bob.until(
      () => {
        const got = bob.controls.filter((c): c is ChatMessage => c.type === "chat");
        return got.length === 3 ? got : undefined;
      },
      "history from relay A",
      10_000,
    );
    expect(history.map((m) => m.text)).toEqual(["earlier 0", "earlier 1", "earlier 2"]);
    expect(history.every((m) => m.history === true && m.from === alice.welcome.id)).toBe(true);
  },
  30_000,
);

test.skipIf(!hasRedis)(
  "the admin API of relay B lists and removes a participant on relay A",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const alice = await enter(a, "xadmin", "alice");
    const list = await fetch(`${b.httpUrl}/v1/rooms/xadmin/participants`);
    expect(list.status).toBe(200);
    const body = (await list.json()) as { participants: { id: number; name: string }[] };
    expect(body.participants.map((p) => p.name)).toEqual(["alice"]);
    const removed = await fetch(`${b.httpUrl}/v1/rooms/xadmin/participants/${alice.welcome.id}`, {
      method: "DELETE",
    });
    expect(removed.status).toBe(204);
    expect((await alice.waitForClose(10_000)).code).toBe(CloseCode.Removed);
    const again = await tryUpgrade(`${b.httpUrl}/v1/rooms/xadmin?token=${alice.jwt}`);
    expect(again.status).toBe(403);
  },
  30_000,
);
