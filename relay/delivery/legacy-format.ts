// The one place frames change format between protocol v1 (binary header + JPEG) and the old
// protocol ("legacy": the bare base64 text of a JPEG). Each conversion happens once per frame,
// whatever the number of receivers.
import { FrameKind, HEADER_BYTES, writeHeader } from "../../protocol/index.ts";
import { stats } from "../stats.ts";

// Base64 of a JPEG always starts with "/9j/" (the bytes FF D8 FF).
const JPEG_BASE64_PREFIX = "/9j/";

/** A v1 frame as legacy receivers get it: base64 of its payload, straight from the bytes. */
export function toLegacyText(frame: Buffer): string {
  stats.conversionsToLegacy++;
  return frame.toString("base64", HEADER_BYTES);
}

/**
 * Cheap checks on a legacy frame: its base64 length and the JPEG prefix. Returns the JPEG's size
 * in bytes, or -1 when the text can't be the base64 of a JPEG.
 */
export function legacyJpegBytes(text: string): number {
  const bytes = base64DecodedLength(text);
  return bytes < 0 || !text.startsWith(JPEG_BASE64_PREFIX) ? -1 : bytes;
}

/**
 * A legacy frame as a stamped v1 frame, decoded once straight into a buffer with room for the
 * header (which also proves the text is base64); null when it is not base64 after all.
 */
export function fromLegacyText(
  text: string,
  jpegBytes: number,
  senderId: number,
  sequence: number,
): Buffer | null {
  const binary = Buffer.allocUnsafe(HEADER_BYTES + jpegBytes);
  if (binary.write(text, HEADER_BYTES, jpegBytes, "base64") !== jpegBytes) return null;
  writeHeader(binary, {
    kind: FrameKind.VideoJpeg,
    flags: 0,
    senderId,
    captureTimeMs: performance.timeOrigin + performance.now(),
    sequence,
  });
  stats.conversionsToBinary++;
  return binary;
}

/** Bytes a padded base64 string decodes to, or -1 if its length can't be base64. */
export function base64DecodedLength(text: string): number {
  const length = text.length;
  if (length === 0 || length % 4 !== 0) return -1;
  let padding = 0;
  if (text.charCodeAt(length - 1) === 0x3d) padding++;
  if (text.charCodeAt(length - 2) === 0x3d) padding++;
  return (length / 4) * 3 - padding;
}
