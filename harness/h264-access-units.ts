// Access units of an Annex B H.264 stream made by libx264 with `-x264-params aud=1` (one AUD
// before each access unit), for the tests and the bench. Split on AUDs, never on start codes:
// sliced threads (`-tune zerolatency`) emit two slices, so two start codes, per picture.

export interface AccessUnit {
  bytes: Uint8Array;
  key: boolean;
}

/** NAL unit types (ITU-T H.264 table 7-1) we look for. */
const NAL_IDR = 5;
const NAL_AUD = 9;

/** Offsets of every start code (00 00 01, or 00 00 00 01: the offset of its first zero). */
function startCodes(bytes: Uint8Array): { at: number; nal: number }[] {
  const found: { at: number; nal: number }[] = [];
  for (let i = 0; i + 3 < bytes.byteLength; i++) {
    if (bytes[i] !== 0 || bytes[i + 1] !== 0 || bytes[i + 2] !== 1) continue;
    const at = i > 0 && bytes[i - 1] === 0 ? i - 1 : i;
    found.push({ at, nal: (bytes[i + 3] as number) & 0x1f });
    i += 3;
  }
  return found;
}

/** Access units of an Annex B stream whose every unit starts with an AUD. */
export function splitOnAud(stream: Uint8Array): AccessUnit[] {
  const codes = startCodes(stream);
  const units: AccessUnit[] = [];
  const auds = codes.filter((c) => c.nal === NAL_AUD).map((c) => c.at);
  for (let i = 0; i < auds.length; i++) {
    const from = auds[i] as number;
    const to = auds[i + 1] ?? stream.byteLength;
    const key = codes.some((c) => c.at >= from && c.at < to && c.nal === NAL_IDR);
    units.push({ bytes: stream.subarray(from, to), key });
  }
  return units;
}
