// Hostile messages for the fuzz test, from a seeded generator so a failing run can be replayed:
// valid headers with garbage, truncated and oversized frames, wrong kinds and versions, random
// text, JSON of wrong shapes, acks for unknown senders, mutated real frames, empty messages.
import {
  encodeH264Frame,
  encodeVideoFrame,
  FrameKind,
  HEADER_BYTES,
  writeHeader,
} from "../../protocol/index.ts";
import { seededRandom as random } from "../fixtures/client/jpeg.ts";
import { ROOM_CONTROL_CASES, roomControlBuilders } from "./fuzz-room-control.ts";

export const CASES = [
  "garbage_payload",
  "truncated",
  "oversized",
  "wrong_kind",
  "wrong_version",
  "random_text",
  "json_wrong_shape",
  "ack_unknown_sender",
  "mutated_frame",
  "empty",
  "h264_bad_flags",
  ...ROOM_CONTROL_CASES,
] as const;
export type FuzzCase = (typeof CASES)[number];

const JSON_SHAPES: Array<(n: number) => string> = [
  (n) => `{"type":"welcome","id":"${n}","peers":null}`,
  (n) => `{"type":"join","peer":{"id":${n}}}`,
  (n) => `{"type":"ack","sender":${n},"sequence":-1}`,
  (n) => `[${n},{"type":"leave"}]`,
  () => `{"__proto__":{"polluted":true},"constructor":{"prototype":{}}}`,
  (n) => `{"type":"error","code":${n}}`,
  (n) => `{"a":${"[".repeat(200)}${n}${"]".repeat(200)}}`,
  (n) => `{"n":1e${n % 400}}`,
  () => "{",
  () => '{"type":"\\ud800"}',
];

export interface Generator {
  next(): { kind: FuzzCase; message: string | Uint8Array<ArrayBuffer> };
  /** Messages for an old-protocol (base64 text) connection. */
  nextLegacy(): string | Uint8Array<ArrayBuffer>;
}

export function createGenerator(
  seed: number,
  maxFrameBytes: number,
  maxMessageBytes: number,
  sampleJpeg: Uint8Array,
): Generator {
  const rand = random(seed);
  const int = (below: number) => Math.floor(rand() * below);
  const bytes = (length: number) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = (rand() * 4294967296) >>> 0;
      out[i] = word;
      out[i + 1] = word >>> 8;
      out[i + 2] = word >>> 16;
      out[i + 3] = word >>> 24;
    }
    return out;
  };
  const header = (kind: number, payload: number) => {
    const message = bytes(HEADER_BYTES + payload);
    writeHeader(message, {
      kind,
      flags: int(4) === 0 ? int(65536) : 0,
      senderId: int(4) === 0 ? int(2 ** 32) : 0,
      captureTimeMs: [Date.now(), Number.NaN, -1e308, Infinity, 0][int(5)] as number,
      sequence: int(2 ** 32),
    });
    return message;
  };
  const text = (length: number) => {
    let out = "";
    for (let i = 0; i < length; i++) {
      // Mostly ASCII, some of everything else (lone surrogates, controls, astral).
      out += String.fromCharCode(int(8) === 0 ? int(0x10000) : 32 + int(95));
    }
    return out;
  };
  const build: Record<FuzzCase, () => string | Uint8Array<ArrayBuffer>> = {
    // Chat, hands and moderation (fuzz-room-control.ts): no moderator here, so all are refused.
    ...roomControlBuilders(int, text),
    garbage_payload: () => header(FrameKind.VideoJpeg, 1 + int(2000)),
    truncated: () => bytes(int(HEADER_BYTES)),
    oversized: () =>
      // Rarely past the WebSocket limit (the relay closes with 1009 and we reconnect).
      int(100) === 0
        ? bytes(maxMessageBytes + 1 + int(1000))
        : header(
            FrameKind.VideoJpeg,
            maxFrameBytes + 1 + int(maxMessageBytes - maxFrameBytes - 64),
          ),
    wrong_kind: () => header(3 + int(253), int(200)),
    wrong_version: () => {
      const message = header(FrameKind.VideoJpeg, 1 + int(200));
      message[0] = 2 + int(254);
      return message;
    },
    random_text: () => text(int(300)),
    json_wrong_shape: () =>
      (JSON_SHAPES[int(JSON_SHAPES.length)] as (n: number) => string)(int(1e6)),
    ack_unknown_sender: () => {
      const ack = header(FrameKind.Ack, int(8) === 0 ? 1 + int(40) : 0);
      ack[4] = int(256);
      ack[7] = 0x80 | int(128); // sender ids nobody has
      return ack;
    },
    mutated_frame: () => {
      const frame = encodeVideoFrame(sampleJpeg, Date.now(), int(1000));
      for (let flips = 1 + int(8); flips > 0; flips--) frame[int(frame.byteLength)] = int(256);
      return int(3) === 0 ? frame.subarray(0, int(frame.byteLength)) : frame;
    },
    empty: () => (int(2) === 0 ? new Uint8Array(0) : ""),
    h264_bad_flags: () => {
      // Kind 4 with any flags (temporal layer 3, layer 3, unknown bits, key frame or not) and
      // garbage where the access unit should be: refused, or forwarded as opaque bytes.
      const frame = encodeH264Frame(bytes(1 + int(2000)), Date.now(), int(1000), int(2) === 0);
      const flags = int(2) === 0 ? int(65536) : 0x0030 | (int(4) << 1);
      frame[2] = flags & 0xff;
      frame[3] = flags >>> 8;
      return frame;
    },
  };
  const jpegBase64 = Buffer.from(sampleJpeg).toString("base64");
  return {
    next() {
      const kind = CASES[int(CASES.length)] as FuzzCase;
      return { kind, message: build[kind]() };
    },
    nextLegacy() {
      switch (int(6)) {
        case 0:
          return text(int(200));
        case 1:
          return Buffer.from(bytes(1 + int(500))).toString("base64");
        case 2:
          return `/9j/${text(int(100))}`;
        case 3:
          return jpegBase64.slice(0, int(jpegBase64.length));
        case 4:
          return (JSON_SHAPES[int(JSON_SHAPES.length)] as (n: number) => string)(int(100));
        default:
          return header(FrameKind.VideoJpeg, int(100));
      }
    },
  };
}
