// Fan-out across wire formats: 3 protocol-v1 peers and 1 old-protocol peer in one room.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  encodeVideoFrame,
  framePayload,
  HEADER_BYTES,
  readHeader,
  stampSenderId,
} from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";

let relay: SpawnedRelay;
const peers: TestPeer[] = [];

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  for (const peer of peers) peer.close();
  await relay.stop();
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

test("every peer receives every other peer's frames byte-for-byte, never its own", async () => {
  const FRAMES_EACH = 10;
  const alice = await TestPeer.join(relay.wsUrl, "lobby", "alice");
  const bob = await TestPeer.join(relay.wsUrl, "lobby", "bob");
  const carol = await TestPeer.join(relay.wsUrl, "lobby", "carol");
  const legacy = await TestPeer.connect(`${relay.wsUrl}/`);
  peers.push(alice, bob, carol, legacy);
  const v1 = [alice, bob, carol];

  // Presence: carol saw alice and bob in her welcome; everyone sees the legacy peer join.
  expect(carol.welcome.peers.map((p) => p.name)).toEqual(["alice", "bob"]);
  expect(carol.welcome.room).toBe("lobby");
  expect(carol.welcome.limits.maxFrameBytes).toBeGreaterThan(0);
  for (const peer of v1) await peer.waitForControl("join", (j) => j.peer.legacy);
  const legacyId = (
    alice.controls.find((c) => c.type === "join" && c.peer.legacy) as { peer: { id: number } }
  ).peer.id;

  // Each v1 peer sends distinct JPEGs; the legacy peer sends base64 text of its own JPEGs.
  const sent = new Map<number, Uint8Array[]>();
  for (const [index, peer] of v1.entries()) {
    const jpegs = Array.from({ length: FRAMES_EACH }, (_, i) => makeJpeg(32, 24, index * 100 + i));
    sent.set(peer.welcome.id, jpegs);
    jpegs.forEach((jpeg, seq) => {
      peer.ws.send(encodeVideoFrame(jpeg, 1_700_000_000_000 + seq + 0.25, seq));
    });
  }
  const legacyJpegs = Array.from({ length: FRAMES_EACH }, (_, i) => makeJpeg(32, 24, 900 + i));
  sent.set(legacyId, legacyJpegs);
  for (const jpeg of legacyJpegs) legacy.ws.send(Buffer.from(jpeg).toString("base64"));

  const expectedPerPeer = 3 * FRAMES_EACH;
  for (const peer of v1)
    await peer.waitFor(() => peer.binary.length >= expectedPerPeer, "v1 frames");
  await legacy.waitFor(() => legacy.texts.length >= expectedPerPeer, "legacy frames");
  await Bun.sleep(200); // anything extra (an echo, a duplicate) would arrive by now

  for (const peer of v1) {
    expect(peer.binary.length).toBe(expectedPerPeer);
    const bySender = new Map<number, Uint8Array[]>();
    for (const message of peer.binary) {
      const header = readHeader(message);
      expect(header.version).toBe(1);
      expect(header.kind).toBe(1);
      expect(header.senderId).not.toBe(peer.welcome.id);
      const list = bySender.get(header.senderId) ?? [];
      list.push(message);
      bySender.set(header.senderId, list);
    }
    expect(bySender.size).toBe(3);
    for (const [senderId, messages] of bySender) {
      const originals = sent.get(senderId);
      expect(originals).toBeDefined();
      messages.forEach((message, seq) => {
        expect(
          sameBytes(framePayload(message), (originals as Uint8Array[])[seq] as Uint8Array),
        ).toBe(true);
        const header = readHeader(message);
        expect(header.sequence).toBe(seq);
        if (senderId !== legacyId) {
          // The relay only stamps the sender id; the rest of the header is the sender's own.
          expect(header.captureTimeMs).toBe(1_700_000_000_000 + seq + 0.25);
          const expected = encodeVideoFrame(
            originals?.[seq] as Uint8Array,
            header.captureTimeMs,
            seq,
          );
          stampSenderId(expected, senderId);
          expect(sameBytes(message, expected)).toBe(true);
        } else {
          // Converted legacy frames get a relay timestamp close to now.
          expect(Math.abs(header.captureTimeMs - Date.now())).toBeLessThan(10_000);
        }
      });
    }
  }

  // The legacy peer gets the three v1 peers' JPEGs as bare base64, never its own.
  expect(legacy.texts.length).toBe(expectedPerPeer);
  const allV1 = v1
    .flatMap((p) => sent.get(p.welcome.id) as Uint8Array[])
    .map((j) => Buffer.from(j).toString("base64"));
  expect(legacy.texts.sort()).toEqual(allV1.sort());
  expect(HEADER_BYTES).toBe(20);
});

test("rooms are isolated", async () => {
  const red = await TestPeer.join(relay.wsUrl, "red-room", "red");
  const blue = await TestPeer.join(relay.wsUrl, "blue_room", "blue");
  const red2 = await TestPeer.join(relay.wsUrl, "red-room", "red2");
  peers.push(red, blue, red2);
  expect(blue.welcome.peers).toEqual([]);
  red.ws.send(encodeVideoFrame(makeJpeg(16, 16, 1), Date.now(), 0));
  await red2.waitFor(() => red2.binary.length === 1, "frame in red-room");
  await Bun.sleep(200);
  expect(blue.binary.length).toBe(0);
  expect(blue.controls.filter((c) => c.type === "join").length).toBe(0);
});

test("presence: join and leave reach the others with ids and names", async () => {
  const first = await TestPeer.join(relay.wsUrl, "presence", "first");
  peers.push(first);
  const second = await TestPeer.join(relay.wsUrl, "presence", "second");
  expect(second.welcome.peers).toEqual([{ id: first.welcome.id, name: "first", legacy: false }]);
  const join = await first.waitForControl("join");
  expect(join.peer).toEqual({ id: second.welcome.id, name: "second", legacy: false });
  second.close();
  const leave = await first.waitForControl("leave");
  expect(leave.id).toBe(second.welcome.id);
  const rooms = (await (await fetch(`${relay.httpUrl}/v1/rooms`)).json()) as {
    rooms: Array<{ name: string; peers: number }>;
  };
  expect(rooms.rooms.find((r) => r.name === "presence")?.peers).toBe(1);
});
