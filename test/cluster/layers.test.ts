// Layers across relays sharing a room through a real redis-server (docs/PROTOCOL.md, "Layers"):
// a sender's layers reach participants on the other relay (a `layers` message, then their
// welcome), and a receiver there gets the layer it asks for; plain receivers the full one.
import { afterAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import {
  encodeLayerRequest,
  encodeLayersAnnounce,
  encodeVideoFrame,
  readLayer,
} from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { type ClusterRelay, clusterForFile } from "../support/cluster.ts";
import { TestPeer } from "../support/peer.ts";
import { hasRedis } from "../support/redis.ts";

const LAYERS = [
  { width: 640, height: 480 },
  { width: 320, height: 240 },
  { width: 160, height: 120 },
];
const JPEGS = [makeJpeg(64, 48, 1), makeJpeg(32, 24, 2), makeJpeg(16, 16, 3)];
const cluster = clusterForFile(2);
const { relays } = cluster;
const sockets = cluster.closeAfter;
let timer: ReturnType<typeof setInterval> | undefined;
afterAll(() => clearInterval(timer));

test.skipIf(!hasRedis)(
  "a sender's layers reach the other relay's participants, who get the layer they ask for",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const early = await TestPeer.join(b.wsUrl, "cluster-layers", "early");
    const plain = await TestPeer.join(b.wsUrl, "cluster-layers", "plain");
    const small = await AckingPeer.join(b.wsUrl, "cluster-layers", "small", "auto", true, true);
    const sender = await TestPeer.join(a.wsUrl, "cluster-layers", "sender");
    sockets.push(early.ws, plain.ws, small.ws, sender.ws);
    const senderId = sender.welcome.id;
    await early.until(
      () => early.controls.find((c) => c.type === "join" && c.peer.id === senderId),
      "sender's join",
    );
    sender.ws.send(encodeLayersAnnounce(LAYERS));
    const told = await early.waitForControl("layers");
    expect(told).toEqual({ type: "layers", id: senderId, layers: LAYERS });
    const late = await TestPeer.join(b.wsUrl, "cluster-layers", "late");
    sockets.push(late.ws);
    expect(late.welcome.peers.find((peer) => peer.id === senderId)?.layers).toEqual(LAYERS);

    small.ws.send(encodeLayerRequest(senderId, 2));
    let sequence = 0;
    timer = setInterval(() => {
      const seq = sequence++;
      for (let layer = 0; layer < 3; layer++) {
        sender.ws.send(encodeVideoFrame(JPEGS[layer] as Uint8Array, Date.now(), seq, 0, layer));
      }
    }, 1000 / 30);
    // It learns the remote sender's layers from its frames, then stays on the one it asked for.
    await small.waitFor(
      () => small.frames.filter((frame) => readLayer(frame) === 2).length >= 10,
      "10 frames of layer 2",
      10_000,
    );
    const tail = small.frames.slice(-5).map((frame) => readLayer(frame));
    expect(tail).toEqual([2, 2, 2, 2, 2]);
    await plain.waitFor(() => plain.binary.length >= 10, "10 frames", 10_000);
    expect(new Set(plain.binary.map((frame) => readLayer(frame)))).toEqual(new Set([0]));

    // The sender drops its smallest layer: the receiver there moves to the smallest it still sends.
    clearInterval(timer);
    sender.ws.send(encodeLayersAnnounce(LAYERS.slice(0, 2)));
    const from = small.frames.length;
    timer = setInterval(() => {
      const seq = sequence++;
      for (let layer = 0; layer < 2; layer++) {
        sender.ws.send(encodeVideoFrame(JPEGS[layer] as Uint8Array, Date.now(), seq, 0, layer));
      }
    }, 1000 / 30);
    await small.waitFor(
      () => small.frames.slice(from).filter((frame) => readLayer(frame) === 1).length >= 10,
      "10 frames of layer 1",
      10_000,
    );
  },
  30_000,
);
