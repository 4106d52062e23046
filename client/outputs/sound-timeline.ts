// The recorder's sound timeline (client/outputs/recorder.ts): each Opus packet becomes one Ogg
// page whose granule is the end of the packet on the file's timeline, i.e. its capture time minus
// the picture grid's origin, shifted by the pictures' lag so that sound and picture captured
// together play together. Pure arithmetic, tested on made-up times.
import { AUDIO_PACKET_MS } from "../../protocol/index.ts";
import { OGG_GRANULES_PER_MS } from "../send/ogg-opus.ts";

/**
 * The granule for a packet captured at `timeMs`. A packet that would end before the file starts
 * (captured just before its first picture) or not after the previous one (a capture stamp that
 * jittered back) goes right after the previous packet instead: a few ms off for one packet,
 * rather than a hole in what was said. The timeline only goes forward.
 */
export function soundGranule(
  timeMs: number,
  originMs: number,
  pictureLagMs: number | null,
  lastGranule: number,
): number {
  const endMs = timeMs - originMs + AUDIO_PACKET_MS + (pictureLagMs ?? 0);
  const granule = Math.round(endMs * OGG_GRANULES_PER_MS);
  const next = lastGranule + AUDIO_PACKET_MS * OGG_GRANULES_PER_MS;
  return granule <= lastGranule ? next : granule;
}
