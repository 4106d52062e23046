// Audio in the protocol module against the bytes and messages docs/PROTOCOL.md shows.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  audioTrackAnnouncement,
  encodeAudioPacket,
  encodeVideoFrame,
  FrameKind,
  isAudioMessage,
  parseClientControl,
  parseControl,
  parseJoinOptions,
  readAudioTrack,
  readHeader,
  roomUrl,
  validateAudioPacket,
  validateFrame,
} from "../../protocol/index.ts";

const doc = readFileSync(`${import.meta.dir}/../../docs/PROTOCOL.md`, "utf8");

test("the documented example audio packet, byte for byte", () => {
  const packet = encodeAudioPacket(new Uint8Array([0xf8, 0xff, 0xfe]), 1700000000020.5, 42);
  const hex = Buffer.from(packet).toString("hex").match(/../g)?.join(" ");
  expect(hex).toBe("01 03 00 00 00 00 00 00 00 48 81 56 fe bc 78 42 2a 00 00 00 f8 ff fe");
  expect(doc).toContain("01 03 00 00  00 00 00 00  00 48 81 56 fe bc 78 42  2a 00 00 00  f8 ff fe");
  expect(readHeader(packet)).toEqual({
    version: 1,
    kind: FrameKind.Audio,
    flags: 0,
    senderId: 0,
    captureTimeMs: 1700000000020.5,
    sequence: 42,
  });
  expect(isAudioMessage(packet)).toBe(true);
});

test("audio packets validate on their own rules, and are not video", () => {
  const good = encodeAudioPacket(new Uint8Array(100), 0, 0);
  expect(validateAudioPacket(good)).toBeNull();
  expect(validateFrame(good, 1 << 20)).toBeNull(); // a forwarded kind, with its own size cap
  expect(validateFrame(encodeAudioPacket(new Uint8Array(1501), 0, 0), 1 << 20)).toBe("too_large");
  expect(validateAudioPacket(encodeVideoFrame(new Uint8Array([0xff, 0xd8]), 0, 0))).toBe(
    "bad_kind",
  );
  expect(validateAudioPacket(encodeAudioPacket(new Uint8Array(0), 0, 0))).toBe("empty_payload");
  expect(validateAudioPacket(encodeAudioPacket(new Uint8Array(1501), 0, 0))).toBe("too_large");
  expect(validateAudioPacket(encodeAudioPacket(new Uint8Array(1500), 0, 0))).toBeNull();
  expect(validateAudioPacket(good.subarray(0, 19))).toBe("too_short");
  const version = Uint8Array.from(good);
  version[0] = 2;
  expect(validateAudioPacket(version)).toBe("bad_version");
});

test("the documented audio_track messages parse; bad ones don't", () => {
  const sent = doc.match(/\{"type":"audio_track","codec"[^\n]*\}/)?.[0] as string;
  expect(readAudioTrack(JSON.parse(sent))).toEqual({
    codec: "opus",
    sampleRate: 48000,
    channels: 1,
    muted: false,
  });
  expect(JSON.parse(sent)).toEqual(audioTrackAnnouncement());
  const forwarded = doc.match(/\{"type":"audio_track","id"[^\n]*\}/)?.[0] as string;
  expect(parseControl(forwarded)).toEqual({ ...audioTrackAnnouncement(), id: 7 });
  const base = audioTrackAnnouncement();
  expect(readAudioTrack({ ...base, codec: "aac" })).toBeNull();
  expect(readAudioTrack({ ...base, sampleRate: 44100 })).toBeNull();
  expect(readAudioTrack({ ...base, channels: 3 })).toBeNull();
  expect(readAudioTrack({ ...base, muted: "yes" })).toBeNull();
  expect(readAudioTrack({ ...base, muted: undefined })?.muted).toBe(false);
  // Extra fields are dropped, so the relay forwards only what it checked.
  expect(readAudioTrack({ ...base, evil: "<script>" })).toEqual(readAudioTrack(base));
  expect(parseControl(JSON.stringify(base))).toBeNull(); // relay → client needs the id
  expect(parseClientControl(JSON.stringify({ ...base, id: 99, x: 1 }))).toEqual(base);
  expect(parseClientControl('{"type":"audio_track","codec":"opus"}')).toBeNull();
});

test("?audio=0 opts out of sound", () => {
  const url = roomUrl("ws://127.0.0.1:8765", "team", { name: "a", ack: true, audio: false });
  expect(url).toBe("ws://127.0.0.1:8765/v1/rooms/team?name=a&ack=1&audio=0");
  expect(parseJoinOptions(url).audio).toBe(false);
  expect(parseJoinOptions(roomUrl("ws://127.0.0.1:8765", "team")).audio).toBe(true);
});
