// Binary frame header of wire protocol v1 (docs/PROTOCOL.md). Pure DataView code, no Node APIs,
// so the relay, the CLI client, the bench and the browser page all share it.

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 20;

/** Values of header byte 1. Anything else is reserved and rejected. */
export const FrameKind = {
  VideoJpeg: 1,
  /** Receiver → relay: "done with this frame" (docs/PROTOCOL.md, Acks). Header only, never forwarded. */
  Ack: 2,
} as const;

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
): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(HEADER_BYTES + jpeg.byteLength);
  writeHeader(message, {
    kind: FrameKind.VideoJpeg,
    flags: 0,
    senderId,
    captureTimeMs,
    sequence,
  });
  message.set(jpeg, HEADER_BYTES);
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

/** Hot-path accessors: no object allocation. */
export function readSenderId(message: Uint8Array): number {
  return viewOf(message).getUint32(OFFSET_SENDER, true);
}

export function readCaptureTime(message: Uint8Array): number {
  return viewOf(message).getFloat64(OFFSET_TIMESTAMP, true);
}

export function readSequence(message: Uint8Array): number {
  return viewOf(message).getUint32(OFFSET_SEQUENCE, true);
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

export type FrameProblem = "too_short" | "bad_version" | "bad_kind" | "too_large" | "empty_payload";

/**
 * Checks a binary message is a well-formed video frame no larger than `maxFrameBytes` of JPEG.
 * Returns null when fine. Cheap: three byte reads and two comparisons.
 */
export function validateFrame(message: Uint8Array, maxFrameBytes: number): FrameProblem | null {
  if (message.byteLength < HEADER_BYTES) return "too_short";
  if (message[OFFSET_VERSION] !== PROTOCOL_VERSION) return "bad_version";
  if (message[OFFSET_KIND] !== FrameKind.VideoJpeg) return "bad_kind";
  const payloadBytes = message.byteLength - HEADER_BYTES;
  if (payloadBytes === 0) return "empty_payload";
  if (payloadBytes > maxFrameBytes) return "too_large";
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
