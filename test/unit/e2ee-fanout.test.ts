// The relay's Fanout on fakes (test/support/fake-bun-sockets.ts) with encrypted frames: v1 peers
// get them as sent (sender id stamped), old-protocol peers get none (no conversion, counted), and
// a plain frame in the same room still reaches everyone.
import { beforeEach, expect, test } from "bun:test";
import { ENCRYPTED_FLAG, encodeVideoFrame, readFlags, writeHeader } from "../../protocol/index.ts";
import type { Fanout } from "../../relay/delivery/fanout.ts";
import type { Room } from "../../relay/rooms.ts";
import { stats } from "../../relay/stats.ts";
import { type FakeSocket, fakeRoom } from "../support/fake-bun-sockets.ts";

let fanout: Fanout;
let room: Room;
let join: (legacy?: boolean) => FakeSocket;

beforeEach(() => {
  ({ fanout, room, join } = fakeRoom(1000));
});

/** An encrypted-looking frame: flag 0x0001 and 200 payload bytes the relay can't read. */
function sealedFrame(seq: number): Buffer {
  const message = Buffer.from(encodeVideoFrame(new Uint8Array(200).fill(seq + 1), 1, seq));
  writeHeader(message, {
    kind: 1,
    flags: ENCRYPTED_FLAG,
    senderId: 0,
    captureTimeMs: 1,
    sequence: seq,
  });
  return message;
}

test("encrypted frames: v1 peers get them untouched, old-protocol peers nothing, counted", () => {
  const [sender, plainSender, v1] = [join(), join(), join()];
  const old = join(true);
  const conversions = stats.conversionsToLegacy;
  const notConverted = stats.e2eeNotConverted;
  for (let seq = 0; seq < 3; seq++) fanout.onBinary(sender.ws, sealedFrame(seq));
  const got = v1.frames();
  expect(got).toHaveLength(3);
  for (const frame of got) expect(readFlags(frame)).toBe(ENCRYPTED_FLAG);
  expect(old.received).toEqual([]);
  expect(stats.conversionsToLegacy).toBe(conversions);
  expect(stats.e2eeNotConverted - notConverted).toBe(3);
  expect(room.e2eeNotedSenders).toEqual(new Set([sender.data.id]));
  // A plain sender in the same room still reaches the old client.
  fanout.onBinary(
    plainSender.ws,
    Buffer.from(encodeVideoFrame(Uint8Array.of(0xff, 0xd8, 0xff, 1), 1, 0)),
  );
  expect(old.received).toHaveLength(1);
});
