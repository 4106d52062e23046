// The inbound gate (relay/security/rate-limit.ts) on a fake socket: each budget on its own,
// one notice per episode, view-only holders, and a flood closed with 4029.
import { expect, test } from "bun:test";
import { encodeAck, encodeVideoFrame } from "../../protocol/index.ts";
import { createInboundGate } from "../../relay/security/rate-limit.ts";
import { FakeServer, FakeSocket } from "../support/fake-bun-sockets.ts";

const server = new FakeServer(1 << 20);
const frame = Buffer.from(encodeVideoFrame(new Uint8Array([0xff, 0xd8, 0xff]), 1, 1));
const ack = Buffer.from(encodeAck({ senderId: 1, captureTimeMs: 1, sequence: 1 }));

function gate(overrides: Partial<Parameters<typeof createInboundGate>[0]> = {}) {
  return createInboundGate(
    {
      maxFramesPerSecond: 10,
      maxBytesPerSecond: 0,
      maxControlPerSecond: 5,
      maxAcksPerSecond: 10,
      maxAudioPerSecond: 10,
      ...overrides,
    },
    1 << 20,
  );
}

function admitted(count: number, check: () => boolean): number {
  let passed = 0;
  for (let i = 0; i < count; i++) if (check()) passed++;
  return passed;
}

test("frames, acks and control each spend their own budget (2 s of their rate)", () => {
  const g = gate();
  const peer = new FakeSocket(server);
  expect(admitted(30, () => g.binary(peer.ws, frame))).toBe(20);
  expect(admitted(30, () => g.binary(peer.ws, ack))).toBe(20);
  expect(admitted(30, () => g.text(peer.ws, '{"type":"x"}'))).toBe(10);
  expect(peer.data.limited).toBe(10 + 10 + 20);
  // One notice for the whole episode, not one per dropped message.
  expect(peer.controls().filter((c) => c.code === "rate_limited")).toHaveLength(1);
});

test("malformed binary messages are charged to the control budget, not the frame budget", () => {
  const g = gate();
  const peer = new FakeSocket(server);
  const headerOnly = frame.subarray(0, 20);
  expect(admitted(12, () => g.binary(peer.ws, headerOnly))).toBe(10);
  expect(admitted(20, () => g.binary(peer.ws, frame))).toBe(20);
});

test("a byte budget refuses what would overdraw it; 0 turns a limit off", () => {
  const g = gate({ maxBytesPerSecond: 1 << 20, maxFramesPerSecond: 0 });
  const peer = new FakeSocket(server);
  const big = Buffer.alloc(600_000);
  big.set(frame.subarray(0, 20));
  // Capacity: 2 s × 1 MiB/s = 2 MiB, so three 600 KB frames, not four.
  expect(admitted(4, () => g.binary(peer.ws, big))).toBe(3);
});

test("a view-only holder's frames are dropped and told once; its acks still pass", () => {
  const g = gate();
  const peer = new FakeSocket(server, { canPublish: false });
  expect(admitted(3, () => g.binary(peer.ws, frame))).toBe(0);
  expect(peer.data.viewOnlyDropped).toBe(3);
  expect(peer.controls().filter((c) => c.code === "view_only")).toHaveLength(1);
  expect(g.binary(peer.ws, ack)).toBe(true);
});

test("a flood far over the limit closes the connection with 4029", () => {
  const g = gate();
  const peer = new FakeSocket(server);
  for (let i = 0; i < 1200 && peer.closedWith === null; i++) g.text(peer.ws, "{}");
  expect(peer.closedWith?.code).toBe(4029);
});
