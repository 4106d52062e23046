// The Fanout on fakes (test/support/fake-bun-sockets.ts): one delivery per format, conversions
// once per frame, drops charged exactly to the receivers uWS skipped, and nothing looked at per
// receiver when a publish only reports queueing (-1, the common case at high load).
import { beforeEach, expect, test } from "bun:test";
import { encodeVideoFrame, FrameKind, readSenderId, writeHeader } from "../../protocol/index.ts";
import type { Fanout } from "../../relay/delivery/fanout.ts";
import { framesDroppedFor } from "../../relay/peer.ts";
import { stats } from "../../relay/stats.ts";
import { type FakeSocket, fakeRoom } from "../support/fake-bun-sockets.ts";

const LIMIT = 1000;
let fanout: Fanout;
let join: (legacy?: boolean) => FakeSocket;

beforeEach(() => {
  ({ fanout, join } = fakeRoom(LIMIT));
});

/** JPEG-shaped bytes (FF D8 FF...): the relay only looks at the start. */
function jpegOf(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes).map((_, i) => (i * 31 + seed) & 0xff);
  out.set([0xff, 0xd8, 0xff]);
  return out;
}

function frame(bytes: number, seq = 0): Buffer {
  return Buffer.from(encodeVideoFrame(jpegOf(bytes, seq), 1, seq));
}

test("a v1 frame reaches every other v1 peer stamped, and legacy peers as base64 converted once", () => {
  const [sender, a, b] = [join(), join(), join()];
  const [old1, old2] = [join(true), join(true)];
  const conversions = stats.conversionsToLegacy;
  const message = frame(500);
  fanout.onBinary(sender.ws, message);
  expect(sender.received).toEqual([]);
  for (const peer of [a, b]) {
    expect(peer.frames()).toHaveLength(1);
    expect(readSenderId(peer.frames()[0] as Uint8Array)).toBe(sender.data.id);
  }
  const text = message.toString("base64", 20);
  expect(old1.received).toEqual([text]);
  expect(old2.received).toEqual([text]);
  expect(stats.conversionsToLegacy - conversions).toBe(1);
});

test("a legacy frame is decoded once for v1 peers and passed as is to other legacy peers", () => {
  const [old, other] = [join(true), join(true)];
  const v1 = join();
  const conversions = stats.conversionsToBinary;
  const jpeg = jpegOf(300, 1);
  fanout.onText(old.ws, Buffer.from(jpeg).toString("base64"));
  expect(other.received).toEqual([Buffer.from(jpeg).toString("base64")]);
  expect(v1.frames()).toHaveLength(1);
  expect(Buffer.from((v1.frames()[0] as Uint8Array).subarray(20)).equals(Buffer.from(jpeg))).toBe(
    true,
  );
  expect(stats.conversionsToBinary - conversions).toBe(1);
  expect(old.received).toEqual([]);
});

test("while receivers keep up no receiver is looked at; queued (-1) frames count as delivered", () => {
  const sender = join();
  const receivers = [join(), join(), join()];
  fanout.onBinary(sender.ws, frame(200));
  fanout.onBinary(sender.ws, frame(200, 1));
  expect(receivers.map((r) => r.bufferedReads)).toEqual([0, 0, 0]);
  for (const r of receivers) r.reading = false; // every send now queues: status -1
  const before = { out: stats.framesOut, dropped: stats.framesDropped };
  fanout.onBinary(sender.ws, frame(200, 2)); // 220 bytes each: under the 1000-byte limit
  fanout.onBinary(sender.ws, frame(200, 3));
  expect(stats.framesOut - before.out).toBe(6);
  expect(stats.framesDropped - before.dropped).toBe(0);
  expect(receivers.map((r) => r.data.framesDropped)).toEqual([0, 0, 0]);
});

test("drops are charged exactly to the receivers uWS skipped, frame by frame", () => {
  const sender = join();
  const fast = join();
  const slow = join();
  const slower = join();
  slow.reading = false;
  const sent = 20;
  for (let i = 0; i < sent; i++) {
    // The second one stops reading while the first is being dropped: its last frame in goes
    // out in a publish whose status is 0, and must not be charged to it.
    if (i === 4) slower.reading = false;
    fanout.onBinary(sender.ws, frame(400, i)); // 420 bytes each
  }
  // Each took frames until its buffer passed 1000 bytes (3 frames), then left the video topic
  // (relay/delivery/video-parking.ts): every frame it misses counts as its drop.
  expect(slow.frames()).toHaveLength(3);
  expect(framesDroppedFor(slow.data)).toBe(sent - 3);
  expect(slower.frames()).toHaveLength(4 + 3);
  expect(framesDroppedFor(slower.data)).toBe(sent - 7);
  expect(fast.frames()).toHaveLength(sent);
  expect(fast.data.framesDropped).toBe(0);
  // It reads again (Bun calls drain): every later frame reaches it, and nothing more is charged.
  slow.drain();
  fanout.parking.onDrain(slow.ws);
  fanout.onBinary(sender.ws, frame(400, sent));
  expect(slow.frames()).toHaveLength(4);
  expect(slow.data.framesDropped).toBe(sent - 3);
});

test("malformed frames are refused with their code and go nowhere", () => {
  const [sender, other] = [join(), join()];
  const bad = frame(10);
  writeHeader(bad, {
    kind: FrameKind.VideoJpeg,
    flags: 0x80,
    senderId: 0,
    captureTimeMs: 1,
    sequence: 0,
  });
  fanout.onBinary(sender.ws, bad);
  fanout.onBinary(sender.ws, Buffer.alloc(5));
  const wrongKind = frame(10);
  writeHeader(wrongKind, { kind: 99, flags: 0, senderId: 0, captureTimeMs: 1, sequence: 0 });
  fanout.onBinary(sender.ws, wrongKind);
  fanout.onText(sender.ws, '{"type":"hello"}');
  expect(sender.controls().map((c) => c.code)).toEqual([
    "frame_bad_flags",
    "frame_too_short",
    "frame_bad_kind",
    "bad_control",
  ]);
  expect(sender.data.rejected).toBe(4);
  expect(other.received).toEqual([]);
});
