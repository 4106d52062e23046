// Kind 4 (H.264) on the wire (docs/PROTOCOL.md, "H.264"): its flags and accessors, what
// validateFrame refuses, the codecs join option, and the two relay → sender messages.
import { expect, test } from "bun:test";
import {
  encodeH264Frame,
  encodeVideoFrame,
  FrameFlag,
  FrameKind,
  frameKind,
  isKeyFrame,
  parseControl,
  parseJoinOptions,
  readLayer,
  readTemporalLayer,
  roomUrl,
  validateFrame,
} from "../../protocol/index.ts";

const AU = new Uint8Array([0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1, 0x65, 0x88]);

test("a kind 4 frame carries key frame, layer and temporal layer in its flags", () => {
  const frame = encodeH264Frame(AU, 1000, 7, true, 2, 1);
  expect(frameKind(frame)).toBe(FrameKind.VideoH264);
  expect(isKeyFrame(frame)).toBe(true);
  expect(readLayer(frame)).toBe(2);
  expect(readTemporalLayer(frame)).toBe(1);
  expect(frame[2]).toBe(0x08 | (2 << 1) | (1 << 4));
  const delta = encodeH264Frame(AU, 1000, 8, false);
  expect(isKeyFrame(delta)).toBe(false);
  expect(readTemporalLayer(delta)).toBe(0);
  expect(validateFrame(frame, 1000)).toBeNull();
  expect(validateFrame(delta, 1000)).toBeNull();
});

test("validateFrame refuses temporal layer 3, and key frame or temporal bits on JPEG", () => {
  const frame = encodeH264Frame(AU, 1000, 7, false);
  frame[2] = (frame[2] as number) | FrameFlag.TemporalMask; // temporal layer 3
  expect(validateFrame(frame, 1000)).toBe("bad_flags");
  const unknownBit = encodeH264Frame(AU, 1000, 7, false);
  unknownBit[2] = 0x40;
  expect(validateFrame(unknownBit, 1000)).toBe("bad_flags");
  const jpeg = encodeVideoFrame(new Uint8Array([0xff, 0xd8, 0xff]), 1000, 1);
  jpeg[2] = FrameFlag.KeyFrame;
  expect(validateFrame(jpeg, 1000)).toBe("bad_flags");
  jpeg[2] = 0x10;
  expect(validateFrame(jpeg, 1000)).toBe("bad_flags");
});

test("codecs=h264 is built and parsed; JPEG needs no declaration, unknown codecs are ignored", () => {
  const url = roomUrl("ws://127.0.0.1:1", "room", { ack: true, codecs: ["h264"] });
  expect(new URL(url).searchParams.get("codecs")).toBe("h264");
  expect(parseJoinOptions(url).h264).toBe(true);
  expect(parseJoinOptions("ws://127.0.0.1:1/v1/rooms/room").h264).toBe(false);
  expect(parseJoinOptions("ws://127.0.0.1:1/v1/rooms/room?codecs=av1,h264").h264).toBe(true);
  expect(parseJoinOptions("ws://127.0.0.1:1/v1/rooms/room?codecs=h265").h264).toBe(false);
  expect(roomUrl("ws://127.0.0.1:1", "room", { codecs: [] })).not.toContain("codecs");
});

test("keyframe_request and codecs_needed parse only in their documented shapes", () => {
  expect(parseControl('{"type":"keyframe_request","layer":1,"reason":"joined"}')).toEqual({
    type: "keyframe_request",
    layer: 1,
    reason: "joined",
  });
  expect(parseControl('{"type":"keyframe_request","layer":3,"reason":"joined"}')).toBeNull();
  expect(parseControl('{"type":"codecs_needed","jpeg":true,"h264":false}')).toEqual({
    type: "codecs_needed",
    jpeg: true,
    h264: false,
  });
  expect(parseControl('{"type":"codecs_needed","jpeg":1}')).toBeNull();
});
