// What a receiver of kind 4 reads from the stream itself (docs/PROTOCOL.md, "H.264"): the SPS in
// front of every IDR names the profile and level, which is all a decoder's config needs (the
// WebCodecs codec string "avc1.PPCCLL", RFC 6381). Pure byte code, shared by both clients.

/** NAL unit type of a sequence parameter set (ITU-T H.264 table 7-1). */
export const NAL_SPS = 7;

/** Offset of the first byte after each start code (00 00 01; a 4-byte 00 00 00 01 ends the same). */
function nalStarts(unit: Uint8Array): number[] {
  const starts: number[] = [];
  for (let i = 0; i + 3 < unit.byteLength; i++) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts;
}

export interface SpsProfile {
  /** profile_idc: 66 baseline, 77 main, 100 high... */
  profile: number;
  /** constraint_set0..5 flags and the reserved bits, as the byte after profile_idc. */
  constraints: number;
  /** level_idc: 31 = level 3.1. */
  level: number;
}

/**
 * The profile, constraints and level of the first SPS in an Annex B access unit, or null when it
 * carries none (a delta frame, or bytes that aren't H.264). The three bytes follow the NAL
 * header directly; profile_idc is never 0, so no emulation-prevention byte can sit among them.
 */
export function readSpsProfile(unit: Uint8Array): SpsProfile | null {
  for (const at of nalStarts(unit)) {
    if (((unit[at] as number) & 0x1f) !== NAL_SPS) continue;
    if (at + 3 >= unit.byteLength) return null;
    const profile = unit[at + 1] as number;
    if (profile === 0) return null;
    return { profile, constraints: unit[at + 2] as number, level: unit[at + 3] as number };
  }
  return null;
}

const hex2 = (byte: number) => byte.toString(16).toUpperCase().padStart(2, "0");

/** "avc1.PPCCLL" for a profile (RFC 6381), e.g. avc1.42C01F for constrained baseline 3.1. */
export function avcCodecString(sps: SpsProfile): string {
  return `avc1.${hex2(sps.profile)}${hex2(sps.constraints)}${hex2(sps.level)}`;
}

/** The decoder's codec string for a key frame's access unit, or null when it has no SPS. */
export function codecOfKeyFrame(unit: Uint8Array): string | null {
  const sps = readSpsProfile(unit);
  return sps ? avcCodecString(sps) : null;
}
