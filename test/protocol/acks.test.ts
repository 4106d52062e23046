// Ack-paced delivery, message by message, on the real relay: the window, the newest frame on
// ack, stale and bogus acks, presence for acking receivers, senders and receivers leaving, old-
// protocol senders, and acks being refused or never forwarded.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import { metricSample } from "../../harness/relay-metrics.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  encodeAck,
  encodeVideoFrame,
  framePayload,
  HEADER_BYTES,
  readCaptureTime,
  readSenderId,
  readSequence,
} from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { TestPeer } from "../support/peer.ts";

let relay: SpawnedRelay;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  relay = await startRelay(["--ack-window", "2"]);
});

afterAll(async () => {
  for (const peer of open) peer.close();
  await relay.stop();
});

/** A JPEG whose COM padding carries `seq`, so a receiver can check it got that frame's bytes. */
function frameFor(seq: number, bytes = 20_000): Uint8Array<ArrayBuffer> {
  const jpeg = makeJpegOfSize(bytes, 3);
  new DataView(jpeg.buffer).setUint32(8, seq, true);
  return encodeVideoFrame(jpeg, performance.timeOrigin + performance.now(), seq);
}

function payloadSeq(frame: Uint8Array): number {
  const jpeg = framePayload(frame);
  return new DataView(jpeg.buffer, jpeg.byteOffset).getUint32(8, true);
}

/** Sends frames one at a time, each after `fast` has received (and acked) the previous one. */
async function sendInStep(src: TestPeer, seqs: number[], fast: AckingPeer): Promise<void> {
  for (const seq of seqs) {
    const before = fast.frames.length;
    src.ws.send(frameFor(seq));
    await fast.waitFor(() => fast.frames.length > before, `frame ${seq} at the fast receiver`);
    await Bun.sleep(10); // its ack reaches the relay before the next frame does
  }
}

async function join(room: string, name: string, mode: "auto" | "manual", ack = true) {
  const peer = await AckingPeer.join(relay.wsUrl, room, name, mode, ack);
  open.push(peer);
  return peer;
}

async function sender(room: string, name = "sender") {
  const peer = await TestPeer.join(relay.wsUrl, room, name);
  open.push(peer);
  return peer;
}

test("window of 2, then the newest frame on each ack; stale and bogus acks change nothing", async () => {
  const held = await join("window", "held", "manual");
  const fast = await join("window", "fast", "auto");
  const src = await sender("window");
  expect(held.welcome?.ackWindow).toBe(2);
  await sendInStep(src, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109], fast);
  await Bun.sleep(100);
  expect(fast.sequences).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  expect(held.sequences).toEqual([100, 101]);

  held.ack(held.frames[0] as Uint8Array); // one slot free: the newest frame, at once
  await held.waitFor(() => held.frames.length === 3, "catch-up frame");
  expect(held.sequences[2]).toBe(109);
  expect(payloadSeq(held.frames[2] as Uint8Array)).toBe(109); // the kept buffer is that frame's
  expect(readSenderId(held.frames[2] as Uint8Array)).toBe(src.welcome.id);

  held.ack(held.frames[0] as Uint8Array); // duplicate
  const bogus = encodeAck({ senderId: src.welcome.id, captureTimeMs: 0, sequence: 5000 });
  held.ws.send(bogus); // a frame that was never sent
  held.ws.send(encodeAck({ senderId: 999_999, captureTimeMs: 0, sequence: 1 })); // no such sender
  await Bun.sleep(150);
  expect(held.frames.length).toBe(3);

  // Acking the newest frame covers the older one too: both slots free, back on the topic.
  held.ack(held.frames[2] as Uint8Array);
  await Bun.sleep(100);
  expect(held.frames.length).toBe(3); // nothing newer than 109 exists yet
  await sendInStep(src, [110, 111, 112], fast);
  await Bun.sleep(100);
  expect(held.sequences).toEqual([100, 101, 109, 110, 111]);
  for (const frame of held.frames) expect(payloadSeq(frame)).toBe(readSequence(frame));

  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  // The duplicate, the never-sent frame and the unknown sender: exactly those three ignored.
  expect(metricSample(metrics, "framecast_acks_ignored_total")).toBe(3);
  expect(metricSample(metrics, "framecast_catch_up_frames_total")).toBeGreaterThanOrEqual(1);
  expect(
    metricSample(metrics, 'framecast_ack_staleness_seconds_bucket{le="+Inf",room="window"}'),
  ).toBeGreaterThanOrEqual(1);
}, 20_000);

test("acking receivers get presence; a held-back receiver survives its sender leaving", async () => {
  const held = await join("presence", "held", "manual");
  const src = await sender("presence", "alice");
  await held.waitFor(
    () => held.controls.some((c) => c.type === "join"),
    "join of alice for the acking receiver",
  );
  for (let seq = 0; seq < 5; seq++) src.ws.send(frameFor(seq));
  await held.waitFor(() => held.frames.length === 2, "two frames");
  src.close();
  await held.waitFor(() => held.controls.some((c) => c.type === "leave"), "leave of alice");
  held.ack(held.frames[1] as Uint8Array); // ack for a sender that has gone: ignored, no error
  await Bun.sleep(100);
  expect(held.controls.filter((c) => c.type === "error")).toEqual([]);
  expect(held.closed).toBe(false);

  // The next sender in the room is paced for it from the start.
  const bob = await sender("presence", "bob");
  for (let seq = 0; seq < 4; seq++) bob.ws.send(frameFor(seq));
  await held.waitFor(() => held.frames.length === 4, "bob's first two frames");
  await Bun.sleep(100);
  expect(held.frames.slice(2).map((f) => readSenderId(f))).toEqual([
    bob.welcome.id,
    bob.welcome.id,
  ]);
}, 20_000);

test("a receiver leaving while held back, and one joining mid-stream, leave the others alone", async () => {
  const fast = await join("churn", "fast", "auto");
  const plain = await join("churn", "plain", "manual", false);
  const src = await sender("churn");
  const held = await join("churn", "held", "manual");
  await sendInStep(src, [0, 1, 2, 3, 4, 5], fast);
  await held.waitFor(() => held.frames.length === 2, "held receiver's window");
  held.close();
  const late = await join("churn", "late", "auto");
  await sendInStep(src, [6, 7, 8, 9, 10, 11], fast);
  await plain.waitFor(() => plain.frames.length === 12, "plain receiver's 12 frames");
  await late.waitFor(() => late.frames.length === 6, "late joiner's 6 frames");
  expect(late.sequences).toEqual([6, 7, 8, 9, 10, 11]);
  // Non-acking receivers see no acks and nothing but frames of the full size.
  for (const frame of plain.frames) expect(frame.byteLength).toBeGreaterThan(HEADER_BYTES);
}, 20_000);

test("an old-protocol sender's frames are paced for acking receivers too", async () => {
  const held = await join("lobby", "held", "manual");
  const legacy = await TestPeer.connect(`${relay.wsUrl}/`);
  open.push(legacy);
  const text = Buffer.from(makeJpegOfSize(5000, 9)).toString("base64");
  for (let i = 0; i < 5; i++) legacy.ws.send(text);
  await held.waitFor(() => held.frames.length === 2, "two converted frames");
  await Bun.sleep(100);
  expect(held.frames.length).toBe(2);
  held.ack(held.frames[1] as Uint8Array);
  await held.waitFor(() => held.frames.length === 3, "the newest converted frame");
  expect(readSequence(held.frames[2] as Uint8Array)).toBe(4);
  expect(readCaptureTime(held.frames[2] as Uint8Array)).toBeGreaterThan(0);
}, 20_000);

test("acks are refused without ?ack=1 or when malformed, and never forwarded", async () => {
  const plain = await join("refuse", "plain", "manual", false);
  const acker = await join("refuse", "acker", "manual");
  const watcher = await join("refuse", "watcher", "manual", false);
  const ack = encodeAck({ senderId: 1, captureTimeMs: 0, sequence: 0 });
  plain.ws.send(ack);
  const long = new Uint8Array(HEADER_BYTES + 1);
  long.set(ack);
  acker.ws.send(long);
  const flagged = ack.slice();
  flagged[2] = 1;
  acker.ws.send(flagged);
  await plain.waitFor(() => plain.controls.some((c) => c.code === "bad_ack"), "bad_ack for plain");
  await acker.waitFor(
    () => acker.controls.filter((c) => c.code === "bad_ack").length === 2,
    "two bad_ack errors for the malformed acks",
  );
  await Bun.sleep(100);
  expect(watcher.frames).toEqual([]);
}, 20_000);
