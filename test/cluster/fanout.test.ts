// Three relays sharing rooms through a real redis-server: every frame reaches every other peer
// exactly once, byte-for-byte, whichever relay either is on; presence spans the relays; a room on
// one relay never touches Redis's data path.
import { expect, test } from "bun:test";
import { makeJpeg, makeJpegOfSize } from "../../harness/jpeg-images.ts";
import {
  encodeAudioPacket,
  encodeVideoFrame,
  framePayload,
  isAudioMessage,
  readHeader,
  readSenderId,
  stampSenderId,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import { nodeOfPeer } from "../../relay/cluster/peer-ids.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import {
  type ClusterRelay,
  clusterForFile,
  knownPeers,
  metric,
  sameSet,
  waitUntil,
} from "../support/cluster.ts";
import { TestPeer } from "../support/peer.ts";
import { hasRedis, type TestRedis } from "../support/redis.ts";

type V1Peer = TestPeer & { welcome: WelcomeMessage };

const cluster = clusterForFile(3);
const { relays } = cluster;
const peers = cluster.closeAfter as TestPeer[];

function relay(i: number): ClusterRelay {
  return relays[i] as ClusterRelay;
}

async function join(at: ClusterRelay, room: string, name: string): Promise<V1Peer> {
  const peer = await TestPeer.join(at.wsUrl, room, name);
  peers.push(peer);
  return peer;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

test.skipIf(!hasRedis)(
  "frames cross relays exactly once, byte-for-byte, old-protocol peers included",
  async () => {
    const FRAMES = 12;
    const [a, b, c] = [relay(0), relay(1), relay(2)];
    expect(new Set([a.node, b.node, c.node]).size).toBe(3);
    // Old-protocol clients always share room "lobby", so the new ones join it too.
    const alice = await join(a, "lobby", "alice");
    const dave = await join(a, "lobby", "dave");
    const bob = await join(b, "lobby", "bob");
    const legacy = await TestPeer.connect(`${b.wsUrl}/`);
    peers.push(legacy);
    const carol = await join(c, "lobby", "carol");
    const v1 = [alice, dave, bob, carol];
    await alice.waitForControl("join", (j) => j.peer.legacy);
    const legacyJoin = alice.controls.find((m) => m.type === "join" && m.peer.legacy);
    const legacyId = legacyJoin?.type === "join" ? legacyJoin.peer.id : 0;

    // Sender ids are unique across the cluster: each carries its relay's node id.
    for (const [peer, at] of [
      [alice, a],
      [dave, a],
      [bob, b],
      [carol, c],
    ] as const) {
      expect(nodeOfPeer(peer.welcome.id)).toBe(at.node);
    }
    expect(nodeOfPeer(legacyId)).toBe(b.node);
    // Presence is complete everywhere: welcome plus joins name everyone else, on every relay.
    const everyone = [...v1.map((p) => p.welcome.id), legacyId];
    for (const peer of v1) {
      await waitUntil(`${peer.welcome.name} to know everyone`, () =>
        sameSet(
          knownPeers(peer),
          everyone.filter((id) => id !== peer.welcome.id),
        ),
      );
    }
    // carol joined last, on a relay of her own: her welcome already listed the other relays' peers.
    expect(new Set(carol.welcome.peers.map((p) => p.name))).toEqual(
      new Set(["alice", "dave", "bob", `legacy-${legacyId}`]),
    );

    const sentBefore = await Promise.all(
      relays.map((r) => metric(r, "framecast_cluster_frames_sent_total")),
    );
    const receivedBefore = await Promise.all(
      relays.map((r) => metric(r, "framecast_cluster_frames_received_total")),
    );
    // Every fourth JPEG is 50 KB, so binary safety is tested on large payloads too.
    const jpegFor = (index: number, seq: number) =>
      seq % 4 === 0
        ? makeJpegOfSize(50_000, index * 100 + seq)
        : makeJpeg(32, 24, index * 100 + seq);
    const sent = new Map<number, Uint8Array[]>();
    v1.forEach((peer, index) => {
      const jpegs = Array.from({ length: FRAMES }, (_, seq) => jpegFor(index, seq));
      sent.set(peer.welcome.id, jpegs);
      jpegs.forEach((jpeg, seq) => {
        peer.ws.send(encodeVideoFrame(jpeg, 1_700_000_000_000 + seq + 0.5, seq));
      });
    });
    const legacyJpegs = Array.from({ length: FRAMES }, (_, seq) => jpegFor(9, seq));
    sent.set(legacyId, legacyJpegs);
    for (const jpeg of legacyJpegs) legacy.ws.send(Buffer.from(jpeg).toString("base64"));

    const perV1 = 4 * FRAMES; // three other v1 peers and the legacy one
    for (const peer of v1) {
      await peer.waitFor(
        () => peer.binary.length >= perV1,
        `${peer.welcome.name}'s frames`,
        10_000,
      );
    }
    await legacy.waitFor(() => legacy.texts.length >= perV1, "legacy frames", 10_000);
    await Bun.sleep(500); // a duplicate or an echo would have arrived by now

    for (const peer of v1) {
      expect(peer.binary.length).toBe(perV1);
      const seen = new Set<string>();
      for (const message of peer.binary) {
        const header = readHeader(message);
        expect(header.senderId).not.toBe(peer.welcome.id);
        const key = `${header.senderId}:${header.sequence}`;
        expect(seen.has(key)).toBe(false); // exactly once
        seen.add(key);
        const original = sent.get(header.senderId)?.[header.sequence];
        expect(original).toBeDefined();
        expect(sameBytes(framePayload(message), original as Uint8Array)).toBe(true);
        if (header.senderId !== legacyId) {
          // Same bytes as the sender sent, but for the sender id its relay stamped.
          const expected = encodeVideoFrame(
            original as Uint8Array,
            1_700_000_000_000 + header.sequence + 0.5,
            header.sequence,
          );
          stampSenderId(expected, header.senderId);
          expect(sameBytes(message, expected)).toBe(true);
        }
      }
      expect(seen.size).toBe(perV1);
    }
    // The old-protocol peer gets every v1 JPEG as base64, once, and never its own.
    const expectedTexts = v1.flatMap((p) => sent.get(p.welcome.id) as Uint8Array[]);
    expect(legacy.texts.length).toBe(perV1);
    expect([...legacy.texts].sort()).toEqual(
      expectedTexts.map((j) => Buffer.from(j).toString("base64")).sort(),
    );

    // Published once per frame by its origin relay; received once by each of the others.
    const sentAfter = await Promise.all(
      relays.map((r) => metric(r, "framecast_cluster_frames_sent_total")),
    );
    const receivedAfter = await Promise.all(
      relays.map((r) => metric(r, "framecast_cluster_frames_received_total")),
    );
    const delta = (after: number[], before: number[]) => after.map((x, i) => x - (before[i] ?? 0));
    expect(delta(sentAfter, sentBefore)).toEqual([2 * FRAMES, 2 * FRAMES, FRAMES]);
    expect(delta(receivedAfter, receivedBefore)).toEqual([3 * FRAMES, 3 * FRAMES, 4 * FRAMES]);
    expect(await metric(a, "framecast_cluster_link_up")).toBe(1);
  },
  60_000,
);

test.skipIf(!hasRedis)(
  "a room on one relay costs Redis nothing; only relays with participants subscribe",
  async () => {
    const [a, b] = [relay(0), relay(1)];
    const one = await join(a, "solo-room", "one");
    const two = await join(a, "solo-room", "two");
    const sentBefore = await metric(a, "framecast_cluster_frames_sent_total");
    for (let seq = 0; seq < 10; seq++)
      one.ws.send(encodeVideoFrame(makeJpeg(16, 16, seq), Date.now(), seq));
    await two.waitFor(() => two.binary.length === 10, "local frames");
    expect(await metric(a, "framecast_cluster_frames_sent_total")).toBe(sentBefore);
    const subscribers = async (room: string) =>
      (
        (await (cluster.redis as TestRedis).command("PUBSUB", "NUMSUB", `framecast:f:${room}`)) as [
          string,
          number,
        ]
      )[1];
    expect(await subscribers("solo-room")).toBe(1);
    expect(await subscribers("lobby")).toBe(3);
    expect(await subscribers("nobody-here")).toBe(0);
    // A participant on a second relay: now (and only now) frames cross.
    const far = await join(b, "solo-room", "far");
    await waitUntil("two subscribers", async () => (await subscribers("solo-room")) === 2);
    await one.waitForControl("join", (j) => j.peer.id === far.welcome.id);
    one.ws.send(encodeVideoFrame(makeJpeg(16, 16, 99), Date.now(), 10));
    await far.waitFor(() => far.binary.length === 1, "a frame across relays");
    expect(await metric(a, "framecast_cluster_frames_sent_total")).toBe(sentBefore + 1);
    // Everyone leaves: the relays unsubscribe.
    for (const peer of [one, two, far]) peer.close();
    await waitUntil("no subscribers", async () => (await subscribers("solo-room")) === 0);
  },
  60_000,
);

test.skipIf(!hasRedis)(
  "presence spans relays: welcome, join and leave, with names",
  async () => {
    const [b, c] = [relay(1), relay(2)];
    const erin = await join(b, "meet", "erin");
    const frank = await join(c, "meet", "frank");
    expect(frank.welcome.peers).toEqual([{ id: erin.welcome.id, name: "erin", legacy: false }]);
    const joined = await erin.waitForControl("join");
    expect(joined.peer).toEqual({ id: frank.welcome.id, name: "frank", legacy: false });
    const started = performance.now();
    frank.close();
    const left = await erin.waitForControl("leave");
    expect(left.id).toBe(frank.welcome.id);
    console.log(`leave crossed relays in ${Math.round(performance.now() - started)} ms`);
  },
  30_000,
);

test.skipIf(!hasRedis)(
  "acking receivers (?ack=1) on another relay get its frames paced by their acks",
  async () => {
    const [a, c] = [relay(0), relay(2)];
    const sender = await join(a, "acked", "sender");
    const acker = await AckingPeer.join(c.wsUrl, "acked", "acker");
    const held = await AckingPeer.join(c.wsUrl, "acked", "held", "manual");
    try {
      await sender.waitForControl("join", (j) => j.peer.name === "held");
      for (let seq = 0; seq < 20; seq++) {
        sender.ws.send(encodeVideoFrame(makeJpeg(16, 16, seq), Date.now(), seq));
        await Bun.sleep(20);
      }
      await acker.waitFor(() => acker.frames.length === 20, "20 paced frames");
      expect(acker.sequences).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(new Set(acker.frames.map(readSenderId))).toEqual(new Set([sender.welcome.id]));
      // One that never acks gets its window (2 frames) and no more, as on a lone relay.
      await Bun.sleep(200);
      expect(held.frames.length).toBe(2);
    } finally {
      acker.close();
      held.close();
    }
  },
  30_000,
);

test.skipIf(!hasRedis)(
  "audio crosses relays too, to acking and non-acking receivers, never held by the ack window",
  async () => {
    const [a, b] = [relay(0), relay(1)];
    const sender = await join(a, "talk", "sender");
    const listener = await join(b, "talk", "listener");
    const acker = await AckingPeer.join(b.wsUrl, "talk", "held", "manual");
    try {
      await sender.waitForControl("join", (j) => j.peer.name === "held");
      for (let seq = 0; seq < 30; seq++) {
        sender.ws.send(encodeAudioPacket(new Uint8Array(80).fill(seq), Date.now(), seq));
        await Bun.sleep(5);
      }
      const audioAt = (frames: Uint8Array[]) => frames.filter(isAudioMessage);
      await listener.waitFor(() => audioAt(listener.binary).length === 30, "30 audio packets");
      await acker.waitFor(() => audioAt(acker.frames).length === 30, "30 audio packets, unacked");
      expect(audioAt(listener.binary).map((m) => readHeader(m).sequence)).toEqual(
        Array.from({ length: 30 }, (_, i) => i),
      );
      expect(new Set(audioAt(listener.binary).map(readSenderId))).toEqual(
        new Set([sender.welcome.id]),
      );
    } finally {
      acker.close();
    }
  },
  30_000,
);
