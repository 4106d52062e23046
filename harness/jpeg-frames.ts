// Real JPEG frames of an exact byte size, made once with jpeg-js, plus the bench's own
// timestamp segment for the old text protocol (its frames have no header to carry one).
import jpeg from "jpeg-js";

const SOI_BYTES = 2;
const COM_MARKER = 0xfe;
/** A COM segment: FF FE, 2-byte big-endian length (which counts itself), then the payload. */
const COM_OVERHEAD = 4;
const MAX_COM_PAYLOAD = 0xffff - 2;

const STAMP_MAGIC = "FCTS";
const STAMP_PAYLOAD_BYTES = 4 + 8 + 4 + 4; // magic, capture time f64, publisher u32, seq u32
/** Bytes our timestamp segment adds after SOI; every frame the bench makes has one. */
export const STAMP_SEGMENT_BYTES = COM_OVERHEAD + STAMP_PAYLOAD_BYTES;
const STAMP_TIME_OFFSET = SOI_BYTES + COM_OVERHEAD + 4;
const STAMP_PUBLISHER_OFFSET = STAMP_TIME_OFFSET + 8;
const STAMP_SEQ_OFFSET = STAMP_PUBLISHER_OFFSET + 4;
/** Base64 characters that cover the stamp (a multiple of 4, so it decodes on its own). */
export const STAMP_BASE64_PREFIX_CHARS = Math.ceil((STAMP_SEQ_OFFSET + 4) / 3) * 4;

// 16:9 sizes, small to large: we pick the largest whose JPEG still fits the byte target.
const WIDTHS = [16, 32, 64, 96, 128, 160, 192, 240, 320, 400, 480, 560, 640, 800, 960, 1280];
const QUALITY = 75;

/** A camera-like picture: smooth gradients with a little sensor noise (deterministic). */
function synthesizeRgba(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  let seed = 0x9e3779b9;
  const noise = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return (seed >>> 24) / 16 - 8;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x / width) * 200 + 30 + noise();
      data[i + 1] = (y / height) * 180 + 40 + noise();
      data[i + 2] = ((x + y) / (width + height)) * 150 + 60 + noise();
      data[i + 3] = 255;
    }
  }
  return data;
}

function encodeAtWidth(width: number): Uint8Array {
  const height = Math.max(8, Math.round((width * 9) / 16));
  const encoded = jpeg.encode({ width, height, data: synthesizeRgba(width, height) }, QUALITY).data;
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

function comSegment(payloadBytes: number): Uint8Array {
  const segment = new Uint8Array(COM_OVERHEAD + payloadBytes);
  segment[0] = 0xff;
  segment[1] = COM_MARKER;
  segment[2] = ((payloadBytes + 2) >>> 8) & 0xff;
  segment[3] = (payloadBytes + 2) & 0xff;
  return segment;
}

function stampSegment(): Uint8Array {
  const segment = comSegment(STAMP_PAYLOAD_BYTES);
  segment.set(new TextEncoder().encode(STAMP_MAGIC), COM_OVERHEAD);
  return segment;
}

/** Splits `bytes` of padding into COM segments (each 4..65537 bytes long). */
function paddingSegments(bytes: number): Uint8Array[] {
  const segments: Uint8Array[] = [];
  let left = bytes;
  while (left > 0) {
    let size = Math.min(left, COM_OVERHEAD + MAX_COM_PAYLOAD);
    // Never leave 1-3 bytes: no segment is that small.
    if (left - size > 0 && left - size < COM_OVERHEAD) size -= COM_OVERHEAD;
    segments.push(comSegment(size - COM_OVERHEAD));
    left -= size;
  }
  return segments;
}

/** Smallest frame we can make: a 16-pixel-wide JPEG plus the stamp segment. */
export function minimumFrameBytes(): number {
  return encodeAtWidth(WIDTHS[0] ?? 16).byteLength + STAMP_SEGMENT_BYTES + COM_OVERHEAD;
}

/**
 * A valid JPEG of exactly `targetBytes`: SOI, the (blank) timestamp segment, COM padding,
 * then the rest of a jpeg-js image, the largest that fits.
 */
export function makeJpegFrame(targetBytes: number): Uint8Array {
  const budget = targetBytes - STAMP_SEGMENT_BYTES - COM_OVERHEAD;
  let best: Uint8Array | null = null;
  for (const width of WIDTHS) {
    const candidate = encodeAtWidth(width);
    if (candidate.byteLength > budget) break;
    best = candidate;
  }
  if (!best) {
    throw new Error(`frame bytes must be at least ${minimumFrameBytes()} (asked ${targetBytes})`);
  }
  const parts = [
    best.subarray(0, SOI_BYTES),
    stampSegment(),
    ...paddingSegments(targetBytes - best.byteLength - STAMP_SEGMENT_BYTES),
    best.subarray(SOI_BYTES),
  ];
  const frame = new Uint8Array(targetBytes);
  let offset = 0;
  for (const part of parts) {
    frame.set(part, offset);
    offset += part.byteLength;
  }
  return frame;
}

/** Writes capture time, publisher index and sequence into a frame made by makeJpegFrame. */
export function writeStamp(
  frame: Uint8Array,
  captureTimeMs: number,
  publisher: number,
  seq: number,
) {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setFloat64(STAMP_TIME_OFFSET, captureTimeMs, true);
  view.setUint32(STAMP_PUBLISHER_OFFSET, publisher >>> 0, true);
  view.setUint32(STAMP_SEQ_OFFSET, seq >>> 0, true);
}

export interface FrameStamp {
  captureTimeMs: number;
  publisher: number;
  seq: number;
}

/** Reads our stamp from the start of a JPEG; null if the JPEG doesn't start with one. */
export function readStamp(jpegBytes: Uint8Array): FrameStamp | null {
  if (jpegBytes.byteLength < STAMP_SEQ_OFFSET + 4) return null;
  if (jpegBytes[SOI_BYTES] !== 0xff || jpegBytes[SOI_BYTES + 1] !== COM_MARKER) return null;
  const magic = String.fromCharCode(
    ...jpegBytes.subarray(STAMP_TIME_OFFSET - 4, STAMP_TIME_OFFSET),
  );
  if (magic !== STAMP_MAGIC) return null;
  const view = new DataView(jpegBytes.buffer, jpegBytes.byteOffset, jpegBytes.byteLength);
  return {
    captureTimeMs: view.getFloat64(STAMP_TIME_OFFSET, true),
    publisher: view.getUint32(STAMP_PUBLISHER_OFFSET, true),
    seq: view.getUint32(STAMP_SEQ_OFFSET, true),
  };
}

/** Reads the stamp from an old-protocol text frame, decoding only its first few characters. */
export function readStampFromBase64(text: string): FrameStamp | null {
  if (text.length < STAMP_BASE64_PREFIX_CHARS) return null;
  return readStamp(Buffer.from(text.slice(0, STAMP_BASE64_PREFIX_CHARS), "base64"));
}
