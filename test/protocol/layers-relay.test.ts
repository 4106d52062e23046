// Layers at the relay (docs/PROTOCOL.md, "Layers"), with real WebSocket clients: who gets which
// layer, presence of layers, requests, and what is refused.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  encodeLayerRequest,
  encodeLayersAnnounce,
  encodeVideoFrame,
  readLayer,
  readSequence,
} from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { TestPeer } from "../support/peer.ts";

const LAYERS = [
  { width: 640, height: 480 },
  { width: 320, height: 240 },
  { width: 160, height: 120 },
];
const JPEGS = [makeJpeg(64, 48, 1), makeJpeg(32, 24, 2), makeJpeg(16, 16, 3)];

let relay: SpawnedRelay;
const sockets: { close(): void }[] = [];
const timers: ReturnType<typeof setInterval>[] = [];

beforeAll(async () => {
  relay = await startRelay();
});
afterEach(() => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const socket of sockets.splice(0)) socket.close();
});
afterAll(async () => {
  await relay?.stop();
});

/** Sends every layer of a picture at `fps` (same sequence number per picture). */
function sendLayers(ws: WebSocket, fps = 30, layers = 3): void {
  let sequence = 0;
  timers.push(
    setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const seq = sequence++;
      for (let layer = 0; layer < layers; layer++) {
        ws.send(encodeVideoFrame(JPEGS[layer] as Uint8Array, Date.now(), seq, 0, layer));
      }
    }, 1000 / fps),
  );
}

const layersOf = (frames: Uint8Array[]) => new Set(frames.map((frame) => readLayer(frame)));

test("presence carries a sender's layers: a layers message now, its welcome entry later", async () => {
  const early = await TestPeer.join(relay.wsUrl, "presence", "early");
  const sender = await TestPeer.join(relay.wsUrl, "presence", "sender");
  sockets.push(early.ws, sender.ws);
  sender.ws.send(encodeLayersAnnounce(LAYERS));
  const told = await early.waitForControl("layers");
  expect(told).toEqual({ type: "layers", id: sender.welcome.id, layers: LAYERS });
  const late = await TestPeer.join(relay.wsUrl, "presence", "late");
  sockets.push(late.ws);
  expect(late.welcome.peers.find((peer) => peer.id === sender.welcome.id)?.layers).toEqual(LAYERS);
  expect(late.welcome.layers).toBeUndefined(); // joined without ?ack=1&layers=1
});

test("old receivers get the full layer only; a layered one gets what it asks, and can change", async () => {
  const plain = await TestPeer.join(relay.wsUrl, "routing", "plain");
  const acking = await AckingPeer.join(relay.wsUrl, "routing", "acking");
  const asksNothing = await AckingPeer.join(relay.wsUrl, "routing", "nothing", "auto", true, true);
  const asksSmall = await AckingPeer.join(relay.wsUrl, "routing", "small", "auto", true, true);
  const sender = await TestPeer.join(relay.wsUrl, "routing", "sender");
  sockets.push(plain.ws, acking.ws, asksNothing.ws, asksSmall.ws, sender.ws);
  expect(asksSmall.welcome?.layers).toBe(true);
  expect(acking.welcome?.layers).toBeUndefined();
  sender.ws.send(encodeLayersAnnounce(LAYERS));
  await asksSmall.waitFor(() => asksSmall.controls.some((c) => c.type === "layers"), "layers");
  asksSmall.ws.send(encodeLayerRequest(sender.welcome.id, 2));
  await Bun.sleep(100);
  const from = asksSmall.frames.length;
  sendLayers(sender.ws);
  await asksSmall.waitFor(() => asksSmall.frames.length >= from + 20, "20 frames", 10_000);
  await plain.waitFor(() => plain.binary.length >= 20, "20 frames", 10_000);

  expect(layersOf(plain.binary)).toEqual(new Set([0]));
  expect(layersOf(acking.frames)).toEqual(new Set([0]));
  expect(layersOf(asksNothing.frames)).toEqual(new Set([0]));
  expect(layersOf(asksSmall.frames.slice(from))).toEqual(new Set([2]));
  // One frame per picture, never two layers of the same one.
  const sequences = asksSmall.frames.map((frame) => readSequence(frame));
  expect(new Set(sequences).size).toBe(sequences.length);

  // Asking for more: the full layer again, at once.
  asksSmall.ws.send(encodeLayerRequest(sender.welcome.id, 0));
  const switchedAt = asksSmall.frames.length;
  await asksSmall.waitFor(
    () => asksSmall.frames.slice(switchedAt).some((frame) => readLayer(frame) === 0),
    "full layer",
  );
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  // It asked before the first frame, so it started on layer 2; the second request moved it up.
  expect(metrics).toMatch(/framecast_layer_switches_total\{direction="up"\} [1-9]/);
  expect(metrics).toMatch(/framecast_layer_bytes_out_total\{layer="2"\} [1-9]/);
  expect(metrics).toMatch(/framecast_layer_bytes_in_total\{layer="1"\} [1-9]/);
});

test("old-protocol (base64) receivers get full-size frames only", async () => {
  const legacy = await TestPeer.connect(`${relay.wsUrl}/`);
  const sender = await TestPeer.join(relay.wsUrl, "lobby", "sender");
  sockets.push(legacy.ws, sender.ws);
  sendLayers(sender.ws, 30, 3);
  await legacy.waitFor(() => legacy.texts.length >= 10, "10 text frames", 10_000);
  const fullJpeg = Buffer.from(JPEGS[0] as Uint8Array).toString("base64");
  expect(legacy.texts.every((text) => text === fullJpeg)).toBe(true);
});

test("bad layer ids, layer lists and requests are refused with a reason", async () => {
  const peer = await TestPeer.join(relay.wsUrl, "refusals", "peer");
  const acking = await AckingPeer.join(relay.wsUrl, "refusals", "acking");
  sockets.push(peer.ws, acking.ws);
  const frame = encodeVideoFrame(JPEGS[0] as Uint8Array, Date.now(), 1, 0, 0);
  frame[2] = 0x06; // layer 3
  peer.ws.send(frame);
  const badFlags = await peer.waitForControl("error");
  expect(badFlags.code).toBe("frame_bad_flags");
  peer.ws.send(JSON.stringify({ type: "layers", layers: [LAYERS[2], LAYERS[0]] }));
  peer.ws.send(JSON.stringify({ type: "layer_request", sender: 1, layer: 5 }));
  peer.ws.send(encodeLayerRequest(acking.welcome?.id ?? 1, 1)); // joined without ?layers=1
  await peer.waitFor(() => peer.controls.filter((c) => c.type === "error").length >= 4, "errors");
  const errors = peer.controls.filter((c) => c.type === "error");
  expect(errors.slice(1).map((e) => (e as { code: string }).code)).toEqual([
    "bad_control",
    "bad_control",
    "bad_control",
  ]);
  expect((errors[3] as { message: string }).message).toContain("?ack=1&layers=1");
  expect(peer.closed).toBeNull();
});
