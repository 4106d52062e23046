// Binary frame header of wire protocol v1 (docs/PROTOCOL.md). Pure DataView code, no Node APIs,
// so the relay, the CLI client, the bench and the browser page all share it.

import { MAX_LAYERS } from "./layers.ts";

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 20;

/**
 * Values of header byte 1. Adding a kind is one entry here plus its rule in KIND_RULES; the
 * compiler then points at every `switch` on a kind that must handle it (they end in assertNever).
 */
export const FrameKind = {
  VideoJpeg: 1,
  /** Receiver → relay: "done with this frame" (docs/PROTOCOL.md, Acks). Header only, never forwarded. */
  Ack: 2,
  /** One Opus packet of 20 ms (protocol/audio.ts, docs/PROTOCOL.md "Audio"). */
  Audio: 3,
  /**
   * One H.264 access unit in Annex B (start codes), SPS and PPS before every IDR, so a receiver
   * builds its decoder from the stream. Only for receivers that joined with `codecs=h264`.
   */
  VideoH264: 4,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/**
 * Bytes an encrypted payload has on top of its plaintext: 12 nonce + 16 tag
 * (protocol/frame-encryption.ts). An encrypted payload no longer than this carries nothing.
 */
export const ENCRYPTION_OVERHEAD = 28;

/** Bits of the header's flags field (bytes 2-3). Unknown bits are reserved: frames carrying them are refused. */
export const FrameFlag = {
  /** The payload is sealed with the room key (protocol/frame-encryption.ts); the relay can't read it. */
  Encrypted: 0x0001,
  /** Bits 1-2: layer id 0..2 of a video frame, 0 = full size (protocol/layers.ts); 3 is refused. */
  LayerMask: 0x0006,
  /** Kind 4: this access unit is a key frame (IDR, with SPS and PPS); decodable on its own. */
  KeyFrame: 0x0008,
  /** Kind 4, bits 4-5: temporal layer id 0..2 (0 when the encoder is not scalable); 3 is refused. */
  TemporalMask: 0x0030,
} as const;

const LAYER_SHIFT = 1;
const TEMPORAL_SHIFT = 4;
/** Temporal layers a kind 4 stream may have (ids 0..MAX_TEMPORAL_LAYERS − 1). */
export const MAX_TEMPORAL_LAYERS = 3;

export interface KindRule {
  /** Forwarded to the room (media) or consumed by the relay (acks). */
  forwarded: boolean;
  /** Flag bits this kind may carry; any other bit makes the frame malformed. */
  allowedFlags: number;
  /** "media": 1..maxFrameBytes bytes after the header; "none": exactly the header. */
  payload: "media" | "none";
  /** A cap of this kind's own below maxFrameBytes (audio: one Opus packet). */
  maxPayloadBytes?: number;
}

/** Largest Opus packet accepted: RFC 6716 caps one 20 ms frame at 1275 bytes, plus room for padding. */
export const MAX_AUDIO_PAYLOAD_BYTES = 1500;

/** What each kind is, for validation (relay) and for building frames (clients). */
export const KIND_RULES: Record<FrameKind, KindRule> = {
  [FrameKind.VideoJpeg]: {
    forwarded: true,
    allowedFlags: FrameFlag.Encrypted | FrameFlag.LayerMask,
    payload: "media",
  },
  [FrameKind.VideoH264]: {
    forwarded: true,
    allowedFlags:
      FrameFlag.Encrypted | FrameFlag.LayerMask | FrameFlag.KeyFrame | FrameFlag.TemporalMask,
    payload: "media",
  },
  [FrameKind.Ack]: { forwarded: false, allowedFlags: 0, payload: "none" },
  [FrameKind.Audio]: {
    forwarded: true,
    // Sound is end-to-end encrypted like pictures (protocol/frame-encryption.ts).
    allowedFlags: FrameFlag.Encrypted,
    payload: "media",
    maxPayloadBytes: MAX_AUDIO_PAYLOAD_BYTES,
  },
};

/** KIND_RULES indexed by header byte 1, for the hot path (undefined: unknown kind). */
const RULE_OF_BYTE: (KindRule | undefined)[] = Array.from({ length: 256 }, (_, byte) =>
  Object.hasOwn(KIND_RULES, byte) ? KIND_RULES[byte as FrameKind] : undefined,
);

/** For the `default:` of an exhaustive switch: a new FrameKind without a case fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}

const OFFSET_VERSION = 0;
const OFFSET_KIND = 1;
const OFFSET_FLAGS = 2;
const OFFSET_SENDER = 4;
const OFFSET_TIMESTAMP = 8;
const OFFSET_SEQUENCE = 16;

export interface FrameHeader {
  version: number;
  kind: number;
  flags: number;
  senderId: number;
  /** Capture time, milliseconds since the Unix epoch (fractional allowed). */
  captureTimeMs: number;
  sequence: number;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes a header into the first 20 bytes of `target`. */
export function writeHeader(target: Uint8Array, header: Omit<FrameHeader, "version">): void {
  const view = viewOf(target);
  view.setUint8(OFFSET_VERSION, PROTOCOL_VERSION);
  view.setUint8(OFFSET_KIND, header.kind);
  view.setUint16(OFFSET_FLAGS, header.flags, true);
  view.setUint32(OFFSET_SENDER, header.senderId >>> 0, true);
  view.setFloat64(OFFSET_TIMESTAMP, header.captureTimeMs, true);
  view.setUint32(OFFSET_SEQUENCE, header.sequence >>> 0, true);
}

/** Builds one video frame message: header + JPEG bytes (one allocation, one copy of the JPEG). */
export function encodeVideoFrame(
  jpeg: Uint8Array,
  captureTimeMs: number,
  sequence: number,
  senderId = 0,
  layer = 0,
): Uint8Array<ArrayBuffer> {
  return withHeader(
    { kind: FrameKind.VideoJpeg, flags: layerFlags(layer), senderId, captureTimeMs, sequence },
    jpeg,
  );
}

/** Header + payload in one allocation, one copy of the payload (every encode goes through it). */
function withHeader(
  header: Parameters<typeof writeHeader>[1],
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(HEADER_BYTES + payload.byteLength);
  writeHeader(message, header);
  message.set(payload, HEADER_BYTES);
  return message;
}

/** Reads the header of a message at least HEADER_BYTES long (check with validateFrame first). */
export function readHeader(message: Uint8Array): FrameHeader {
  const view = viewOf(message);
  return {
    version: view.getUint8(OFFSET_VERSION),
    kind: view.getUint8(OFFSET_KIND),
    flags: view.getUint16(OFFSET_FLAGS, true),
    senderId: view.getUint32(OFFSET_SENDER, true),
    captureTimeMs: view.getFloat64(OFFSET_TIMESTAMP, true),
    sequence: view.getUint32(OFFSET_SEQUENCE, true),
  };
}

// Hot-path accessors: plain byte reads, no DataView or object allocated per call.

function readU32(message: Uint8Array, offset: number): number {
  return (
    ((message[offset] as number) |
      ((message[offset + 1] as number) << 8) |
      ((message[offset + 2] as number) << 16) |
      ((message[offset + 3] as number) << 24)) >>>
    0
  );
}

/** Scratch space to read a float64 without allocating (JS is single-threaded per realm). */
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);

/** Header byte 0. */
export function readVersion(message: Uint8Array): number {
  return message[OFFSET_VERSION] ?? 0;
}

/** The kind of a binary message when byte 1 names a known kind, else null (version, length unchecked). */
export function frameKind(message: Uint8Array): FrameKind | null {
  const kind = message[OFFSET_KIND];
  return kind !== undefined && RULE_OF_BYTE[kind] !== undefined ? (kind as FrameKind) : null;
}

export function readFlags(message: Uint8Array): number {
  return ((message[OFFSET_FLAGS] as number) | ((message[OFFSET_FLAGS + 1] as number) << 8)) >>> 0;
}

/** Layer id of a video frame (bits 1-2 of the flags): 0 = full size. */
export function readLayer(message: Uint8Array): number {
  return ((message[OFFSET_FLAGS] as number) & FrameFlag.LayerMask) >>> LAYER_SHIFT;
}

/** Kind 4: the access unit is a key frame (flag bit 3). */
export function isKeyFrame(message: Uint8Array): boolean {
  return ((message[OFFSET_FLAGS] as number) & FrameFlag.KeyFrame) !== 0;
}

/** Kind 4: temporal layer id (flag bits 4-5), 0 when the stream is not temporally scalable. */
export function readTemporalLayer(message: Uint8Array): number {
  return ((message[OFFSET_FLAGS] as number) & FrameFlag.TemporalMask) >>> TEMPORAL_SHIFT;
}

/** The flags of a kind 4 frame: layer, key frame, temporal layer. */
export function h264Flags(layer: number, keyFrame: boolean, temporalLayer = 0): number {
  return (
    layerFlags(layer) |
    (keyFrame ? FrameFlag.KeyFrame : 0) |
    ((temporalLayer << TEMPORAL_SHIFT) & FrameFlag.TemporalMask)
  );
}

/** Builds one kind 4 message: header + one Annex B access unit. */
export function encodeH264Frame(
  accessUnit: Uint8Array,
  captureTimeMs: number,
  sequence: number,
  keyFrame: boolean,
  layer = 0,
  temporalLayer = 0,
): Uint8Array<ArrayBuffer> {
  const flags = h264Flags(layer, keyFrame, temporalLayer);
  return withHeader(
    { kind: FrameKind.VideoH264, flags, senderId: 0, captureTimeMs, sequence },
    accessUnit,
  );
}

/** The flags bits that carry `layer` (0..2). */
export function layerFlags(layer: number): number {
  return (layer << LAYER_SHIFT) & FrameFlag.LayerMask;
}

export function readSenderId(message: Uint8Array): number {
  return readU32(message, OFFSET_SENDER);
}

export function readCaptureTime(message: Uint8Array): number {
  float64Bytes.set(message.subarray(OFFSET_TIMESTAMP, OFFSET_TIMESTAMP + 8));
  return float64[0] as number;
}

export function readSequence(message: Uint8Array): number {
  return readU32(message, OFFSET_SEQUENCE);
}

/** Bytes after the header (0 for a message shorter than a header). */
export function payloadBytes(message: Uint8Array): number {
  return Math.max(0, message.byteLength - HEADER_BYTES);
}

/** Overwrites the sender id in place (the relay does this; clients send 0). */
export function stampSenderId(message: Uint8Array, senderId: number): void {
  // Four byte stores beat allocating a DataView per frame on the relay's hot path.
  message[OFFSET_SENDER] = senderId & 0xff;
  message[OFFSET_SENDER + 1] = (senderId >>> 8) & 0xff;
  message[OFFSET_SENDER + 2] = (senderId >>> 16) & 0xff;
  message[OFFSET_SENDER + 3] = (senderId >>> 24) & 0xff;
}

/** The JPEG payload of a frame, as a view (no copy). */
export function framePayload(message: Uint8Array): Uint8Array {
  return message.subarray(HEADER_BYTES);
}

export type FrameProblem =
  | "too_short"
  | "bad_version"
  | "bad_kind"
  | "bad_flags"
  | "too_large"
  | "empty_payload";

/**
 * Checks a binary message is a well-formed frame of a forwarded kind (KIND_RULES) with at most
 * `maxFrameBytes` of payload. Returns null when fine. Cheap: a few byte reads and comparisons.
 */
export function validateFrame(message: Uint8Array, maxFrameBytes: number): FrameProblem | null {
  if (message.byteLength < HEADER_BYTES) return "too_short";
  if (message[OFFSET_VERSION] !== PROTOCOL_VERSION) return "bad_version";
  const rule = RULE_OF_BYTE[message[OFFSET_KIND] as number];
  if (rule === undefined || !rule.forwarded) return "bad_kind";
  const flags = readFlags(message);
  if ((flags & ~rule.allowedFlags) !== 0) return "bad_flags";
  if ((flags & FrameFlag.LayerMask) >>> LAYER_SHIFT >= MAX_LAYERS) return "bad_flags";
  if ((flags & FrameFlag.TemporalMask) >>> TEMPORAL_SHIFT >= MAX_TEMPORAL_LAYERS)
    return "bad_flags";
  const bytes = message.byteLength - HEADER_BYTES;
  if (bytes === 0) return "empty_payload";
  if (bytes <= ENCRYPTION_OVERHEAD && (flags & FrameFlag.Encrypted) !== 0) {
    return "empty_payload"; // nonce and tag around nothing
  }
  if (bytes > maxFrameBytes || bytes > (rule.maxPayloadBytes ?? bytes)) return "too_large";
  return null;
}

/** True when the bytes start with a JPEG start-of-image marker (0xFFD8). */
export function looksLikeJpeg(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** The frame an ack refers to: copied from that frame's header. */
export type AckedFrame = Pick<FrameHeader, "senderId" | "captureTimeMs" | "sequence">;

/** Builds the 20-byte ack for a frame the receiver has finished (drawn, written or skipped). */
export function encodeAck(frame: AckedFrame): Uint8Array<ArrayBuffer> {
  const ack = new Uint8Array(HEADER_BYTES);
  writeHeader(ack, {
    kind: FrameKind.Ack,
    flags: 0,
    senderId: frame.senderId,
    captureTimeMs: frame.captureTimeMs,
    sequence: frame.sequence,
  });
  return ack;
}

/**
 * Writes the ack for `frame` (a received video frame) into `target` without allocating: the
 * header's bytes 4-19 (sender, capture time, sequence) are copied as they are.
 */
export function writeAckFor(target: Uint8Array, frame: Uint8Array): void {
  target[OFFSET_VERSION] = PROTOCOL_VERSION;
  target[OFFSET_KIND] = FrameKind.Ack;
  target[OFFSET_FLAGS] = 0;
  target[OFFSET_FLAGS + 1] = 0;
  target.set(frame.subarray(OFFSET_SENDER, HEADER_BYTES), OFFSET_SENDER);
}

/** True when a binary message is shaped like an ack: exactly a header, version 1, kind 2, flags 0. */
export function isAck(message: Uint8Array): boolean {
  return (
    message.byteLength === HEADER_BYTES &&
    message[OFFSET_VERSION] === PROTOCOL_VERSION &&
    message[OFFSET_KIND] === FrameKind.Ack &&
    message[OFFSET_FLAGS] === 0 &&
    message[OFFSET_FLAGS + 1] === 0
  );
}
