// The protocol module against the bytes docs/PROTOCOL.md shows.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  encodeVideoFrame,
  FrameKind,
  isValidRoomName,
  parseControl,
  readHeader,
  roomUrl,
  stampSenderId,
  validateFrame,
} from "../../protocol/index.ts";

test("the documented example frame, byte for byte", () => {
  const frame = encodeVideoFrame(new Uint8Array([0xff, 0xd8, 0xff]), 1700000000000.5, 7);
  const hex = Buffer.from(frame).toString("hex").match(/../g)?.join(" ");
  expect(hex).toBe("01 01 00 00 00 00 00 00 00 08 80 56 fe bc 78 42 07 00 00 00 ff d8 ff");
  const doc = readProtocolDoc();
  expect(doc).toContain("01 01 00 00  00 00 00 00  00 08 80 56 fe bc 78 42  07 00 00 00  ff d8 ff");
});

function readProtocolDoc(): string {
  return readFileSync(`${import.meta.dir}/../../docs/PROTOCOL.md`, "utf8");
}

test("stamping the sender id changes only bytes 4-7", () => {
  const frame = encodeVideoFrame(new Uint8Array([0xff, 0xd8, 1, 2]), 123.25, 0xfffffffe);
  const before = Uint8Array.from(frame);
  stampSenderId(frame, 0xdeadbeef);
  expect(readHeader(frame)).toEqual({
    version: 1,
    kind: FrameKind.VideoJpeg,
    flags: 0,
    senderId: 0xdeadbeef,
    captureTimeMs: 123.25,
    sequence: 0xfffffffe,
  });
  for (let i = 0; i < frame.length; i++)
    if (i < 4 || i > 7) expect(frame[i]).toBe(before[i] as number);
});

test("validateFrame names each problem", () => {
  const good = encodeVideoFrame(new Uint8Array(10), 0, 0);
  expect(validateFrame(good, 10)).toBeNull();
  expect(validateFrame(good, 9)).toBe("too_large");
  expect(validateFrame(good.subarray(0, 19), 10)).toBe("too_short");
  expect(validateFrame(encodeVideoFrame(new Uint8Array(0), 0, 0), 10)).toBe("empty_payload");
  const badVersion = Uint8Array.from(good);
  badVersion[0] = 2;
  expect(validateFrame(badVersion, 10)).toBe("bad_version");
  const ack = Uint8Array.from(good);
  ack[1] = FrameKind.Ack;
  expect(validateFrame(ack, 10)).toBe("bad_kind");
});

test("control messages parse only in their documented shapes", () => {
  expect(parseControl('{"type":"leave","id":3}')).toEqual({ type: "leave", id: 3 });
  expect(parseControl('{"type":"leave","id":"3"}')).toBeNull();
  expect(
    parseControl('{"type":"join","peer":{"id":1,"name":"a","legacy":false},"extra":1}'),
  ).not.toBeNull();
  expect(parseControl("[1,2]")).toBeNull();
  expect(parseControl("{oops")).toBeNull();
  expect(
    parseControl('{"type":"welcome","id":1,"room":"r","peers":[{"id":2}],"limits":{}}'),
  ).toBeNull();
});

test("room names and URLs", () => {
  expect(isValidRoomName("a")).toBe(true);
  expect(isValidRoomName("A-z_09".padEnd(64, "x"))).toBe(true);
  expect(isValidRoomName("x".repeat(65))).toBe(false);
  expect(isValidRoomName("")).toBe(false);
  expect(isValidRoomName("a b")).toBe(false);
  expect(roomUrl("ws://127.0.0.1:8765", "team", { name: "Zoë & co" })).toBe(
    "ws://127.0.0.1:8765/v1/rooms/team?name=Zo%C3%AB+%26+co",
  );
});
