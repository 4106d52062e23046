// Screen shares in a cluster (docs/PROTOCOL.md, Screen sharing: known limits): a share stays on
// its owner's relay. Participants on another relay of the cluster, whether they take shares or
// not, never get its presence or its frames (it is in no roster and never crosses Redis), while
// they still see the owner's camera; on the owner's relay a receiver that takes shares sees it.
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

const ROOM = "cluster-share";
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

test.skipIf(!hasRedis)(
  "a share stays on its owner's relay: the other relay's participants see the camera only",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const owner = await join(a, "ada", { ack: true, shares: true });
    const local = await join(a, "lee", { ack: true, shares: true });
    const remoteTaker = await join(b, "rob", { ack: true, shares: true });
    const remotePlain = await join(b, "ria", {});
    // The rosters have crossed: A's participants know B's.
    await owner.waitForControl("join", (m) => m.peer.name === "ria", 10_000);
    const share = await TestPeer.joinWith(
      roomUrl(a.wsUrl, ROOM, {
        screen: { owner: owner.welcome.id, key: owner.welcome.shareKey as string },
      }),
    );
    peers.push(share);
    const shareId = share.welcome.id;
    await local.waitForControl("join", (m) => m.peer.id === shareId);
    const now = () => performance.timeOrigin + performance.now();
    const screen = makeJpeg(320, 240, 3);
    const camera = makeJpeg(160, 120, 4);
    for (let i = 0; i < 10; i++) {
      share.ws.send(encodeVideoFrame(screen, now(), i));
      owner.ws.send(encodeVideoFrame(camera, now(), i));
      await Bun.sleep(50);
    }
    await local.waitFor(() => videoFrom(local, shareId).length >= 10, "share frames on A");
    for (const peer of [remoteTaker, remotePlain]) {
      await peer.waitFor(
        () => videoFrom(peer, owner.welcome.id).length >= 10,
        "the owner's camera on B",
        10_000,
      );
    }
    await Bun.sleep(500);
    for (const peer of [remoteTaker, remotePlain]) {
      expect(videoFrom(peer, shareId)).toEqual([]);
      const mentions = peer.controls.filter(
        (c) =>
          (c.type === "join" && c.peer.id === shareId) ||
          (c.type === "welcome" && c.peers.some((p) => p.id === shareId)),
      );
      expect(mentions).toEqual([]);
    }
    // A late joiner on B doesn't see it in its welcome either.
    const late = await join(b, "lou", { ack: true, shares: true });
    expect(late.welcome.peers.some((p) => p.id === shareId)).toBe(false);
    expect(late.welcome.peers.some((p) => p.id === owner.welcome.id)).toBe(true);
  },
  40_000,
);
