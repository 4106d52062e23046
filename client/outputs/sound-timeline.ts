// The recorder's sound timeline (client/outputs/recorder.ts): each Opus packet becomes one Ogg
// page whose granule is the end of the packet on the file's timeline, i.e. its capture time minus
// the picture grid's origin, shifted by the pictures' lag so that sound and picture captured
// together play together. Pure arithmetic, tested on made-up times.
import { AUDIO_PACKET_MS } from "../../protocol/index.ts";
import { OGG_GRANULES_PER_MS } from "../send/ogg-opus.ts";

/** The granule for a packet captured at `timeMs`, or null to skip it (before the file, or late). */
export function soundGranule(
  timeMs: number,
  originMs: number,
  pictureLagMs: number | null,
  lastGranule: number,
): number | null {
  const endMs = timeMs - originMs + AUDIO_PACKET_MS + (pictureLagMs ?? 0);
  if (endMs <= 0) return null; // before the file's first picture
  const granule = Math.round(endMs * OGG_GRANULES_PER_MS);
  return granule <= lastGranule ? null : granule; // the timeline only goes forward
}
