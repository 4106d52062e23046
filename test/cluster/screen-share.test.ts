// Screen shares in a cluster (docs/PROTOCOL.md, Screen sharing): a share connects to its owner's
// relay, and its presence and frames cross Redis like a camera's. On another relay a receiver that
// joined with shares=1&ack=1 sees its join (source screen, owner), its frames and its leave; a v1
// receiver without shares=1 and an old-protocol one get none of it, only the owner's camera.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import {
  encodeVideoFrame,
  FrameKind,
  type JoinOptions,
  readSenderId,
  roomUrl,
  writeAckFor,
} from "../../protocol/index.ts";
import { type ClusterRelay, startClusterRelay } from "../support/cluster.ts";
import { TestPeer } from "../support/peer.ts";
import { hasRedis, TestRedis } from "../support/redis.ts";

// Old-protocol clients always share room "lobby", so the new ones join it too.
const ROOM = "lobby";
let redis: TestRedis | undefined;
const relays: ClusterRelay[] = [];
const peers: TestPeer[] = [];

beforeAll(async () => {
  if (!hasRedis) return;
  redis = await TestRedis.start();
  const url = redis.url;
  relays.push(...(await Promise.all([0, 1].map(() => startClusterRelay(url)))));
}, 30_000);

afterAll(async () => {
  for (const peer of peers) if (peer.closed === null) peer.close();
  await Promise.all(relays.map((relay) => relay.stop()));
  await redis?.stop();
}, 30_000);

async function join(at: ClusterRelay, name: string, options: JoinOptions) {
  const peer = await TestPeer.joinWith(roomUrl(at.wsUrl, ROOM, { name, ...options }));
  peers.push(peer);
  peer.ws.addEventListener("message", (event) => {
    if (typeof event.data === "string" || !options.ack) return;
    const frame = new Uint8Array(event.data as ArrayBuffer);
    if (frame[1] === FrameKind.Audio) return;
    const ack = new Uint8Array(20);
    writeAckFor(ack, frame);
    peer.ws.send(ack);
  });
  return peer;
}

const videoFrom = (peer: TestPeer, id: number) =>
  peer.binary.filter((f) => f[1] !== FrameKind.Audio && readSenderId(f) === id);

const mentionsOf = (peer: TestPeer, id: number) =>
  peer.controls.filter(
    (c) =>
      ((c.type === "join" || c.type === "peer_update") && c.peer.id === id) ||
      ((c.type === "leave" || c.type === "layers") && c.id === id) ||
      (c.type === "welcome" && c.peers.some((p) => p.id === id)),
  );

test.skipIf(!hasRedis)(
  "a share reaches share-takers on the other relay, and nobody else there",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const owner = await join(a, "ada", { ack: true, shares: true });
    const local = await join(a, "lee", { ack: true, shares: true });
    const remoteTaker = await join(b, "rob", { ack: true, shares: true });
    const remoteAcker = await join(b, "ria", { ack: true });
    const remotePlain = await join(b, "rex", {});
    const remoteOld = await TestPeer.connect(`${b.wsUrl}/`);
    peers.push(remoteOld);
    // The rosters have crossed: A's participants know B's.
    await owner.waitForControl("join", (m) => m.peer.name === "rex", 10_000);
    await owner.waitForControl("join", (m) => m.peer.legacy, 10_000);
    const share = await TestPeer.joinWith(
      roomUrl(a.wsUrl, ROOM, {
        screen: { owner: owner.welcome.id, key: owner.welcome.shareKey as string },
      }),
    );
    peers.push(share);
    const shareId = share.welcome.id;
    const ownerId = owner.welcome.id;
    await local.waitForControl("join", (m) => m.peer.id === shareId);
    const seen = await remoteTaker.waitForControl("join", (m) => m.peer.id === shareId, 10_000);
    expect(seen.peer).toMatchObject({ id: shareId, name: "ada", source: "screen", owner: ownerId });
    const now = () => performance.timeOrigin + performance.now();
    const screen = makeJpeg(320, 240, 3);
    const camera = makeJpeg(160, 120, 4);
    for (let i = 0; i < 10; i++) {
      share.ws.send(encodeVideoFrame(screen, now(), i));
      owner.ws.send(encodeVideoFrame(camera, now(), i));
      await Bun.sleep(50);
    }
    await local.waitFor(() => videoFrom(local, shareId).length >= 10, "share frames on A");
    await remoteTaker.waitFor(
      () => videoFrom(remoteTaker, shareId).length >= 10,
      "share frames on B",
      10_000,
    );
    // The frames are the share's own bytes, stamped with its id.
    const got = videoFrom(remoteTaker, shareId)[0] as Uint8Array;
    expect(
      Buffer.from(got.subarray(got.byteLength - screen.byteLength)).equals(Buffer.from(screen)),
    ).toBe(true);
    for (const peer of [remoteTaker, remoteAcker, remotePlain]) {
      await peer.waitFor(
        () => videoFrom(peer, ownerId).length >= 10,
        "the owner's camera on B",
        10_000,
      );
    }
    const screenText = Buffer.from(screen).toString("base64");
    const cameraText = Buffer.from(camera).toString("base64");
    await remoteOld.waitFor(
      () => remoteOld.texts.filter((t) => t.endsWith(cameraText)).length >= 10,
      "the owner's camera on B's old-protocol receiver",
      10_000,
    );
    await Bun.sleep(500);
    for (const peer of [remoteAcker, remotePlain]) {
      expect(videoFrom(peer, shareId)).toEqual([]);
      expect(mentionsOf(peer, shareId)).toEqual([]);
    }
    expect(remoteOld.texts.filter((t) => t.endsWith(screenText))).toEqual([]);
    expect(remoteOld.controls).toEqual([]);
    // A late joiner on B sees the share in its welcome if it takes shares, else not.
    const lateTaker = await join(b, "lou", { ack: true, shares: true });
    const share0 = lateTaker.welcome.peers.find((p) => p.id === shareId);
    expect(share0).toMatchObject({ source: "screen", owner: ownerId });
    const latePlain = await join(b, "liv", { ack: true });
    expect(latePlain.welcome.peers.some((p) => p.id === shareId)).toBe(false);
    expect(latePlain.welcome.peers.some((p) => p.id === ownerId)).toBe(true);
    // The owner leaves: its share ends with it, and B's taker hears the share's leave.
    owner.close();
    await remoteTaker.waitForControl("leave", (m) => m.id === shareId, 10_000);
    await remoteTaker.waitForControl("leave", (m) => m.id === ownerId, 10_000);
    await remotePlain.waitForControl("leave", (m) => m.id === ownerId, 10_000);
    await Bun.sleep(300);
    for (const peer of [remoteAcker, remotePlain, latePlain]) {
      expect(mentionsOf(peer, shareId)).toEqual([]);
    }
  },
  60_000,
);
