// Audio on fakes (test/support/fake-bun-sockets.ts): a packet counts as dropped only for the
// receivers uWS skipped, i.e. those over the socket limit before the publish, never for one whose
// buffer the packet itself took over the limit (it was queued: it will arrive).
import { beforeEach, expect, test } from "bun:test";
import { encodeAudioPacket } from "../../protocol/index.ts";
import { AUDIO_HEADROOM_BYTES } from "../../relay/delivery/audio-fanout.ts";
import type { Fanout } from "../../relay/delivery/fanout.ts";
import { stats } from "../../relay/stats.ts";
import { type FakeSocket, fakeRoom } from "../support/fake-bun-sockets.ts";

const VIDEO_LIMIT = 1000;
const SOCKET_LIMIT = VIDEO_LIMIT + AUDIO_HEADROOM_BYTES;
// The largest audio packet: a 1500-byte Opus payload (MAX_AUDIO_PAYLOAD_BYTES) and its header.
const PACKET_BYTES = 1520;
let fanout: Fanout;
let join: (legacy?: boolean, audio?: boolean) => FakeSocket;

beforeEach(() => {
  ({ fanout, join } = fakeRoom(VIDEO_LIMIT));
});

function packet(sequence: number): Buffer {
  return Buffer.from(encodeAudioPacket(new Uint8Array(PACKET_BYTES - 20).fill(7), 0, sequence));
}

test("audio drops count the receivers skipped, not one the packet itself took over the limit", () => {
  const sender = join(false, true);
  const stalled = join(false, true);
  const filling = join(false, true);
  stalled.reading = false;
  const dropsBefore = stats.audioPacketsDropped;
  const outBefore = stats.audioPacketsOut;
  // The stalled receiver queues packets until its buffer passes the socket limit.
  const queued = Math.ceil((SOCKET_LIMIT + 1) / PACKET_BYTES);
  for (let i = 0; i < queued; i++) fanout.onBinary(sender.ws, packet(i));
  expect(stalled.frames()).toHaveLength(queued);
  expect(stats.audioPacketsDropped - dropsBefore).toBe(0);
  // The next packet is dropped for it, while it only fills the other one's buffer past the limit:
  // queued there (its reader gets it), so one drop, not two.
  filling.reading = false;
  filling.buffered = SOCKET_LIMIT - PACKET_BYTES / 2;
  fanout.onBinary(sender.ws, packet(queued));
  expect(stalled.frames()).toHaveLength(queued);
  expect(filling.frames()).toHaveLength(queued + 1);
  expect(stats.audioPacketsDropped - dropsBefore).toBe(1);
  expect(stats.audioPacketsOut - outBefore).toBe(2 * queued + 1);
  // From then on both are over the limit: every packet is a drop for each.
  fanout.onBinary(sender.ws, packet(queued + 1));
  expect(stats.audioPacketsDropped - dropsBefore).toBe(3);
  expect(stats.audioPacketsOut - outBefore).toBe(2 * queued + 1);
});
