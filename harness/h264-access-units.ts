// Access units of a whole Annex B H.264 file made by libx264 with `-x264-params aud=1`, for the
// tests and the bench: the CLI's own streaming splitter (client/send/h264-splitter.ts), fed at once.
import { H264Splitter } from "../client/send/h264-splitter.ts";

export interface AccessUnit {
  bytes: Uint8Array;
  key: boolean;
}

/** Access units of an Annex B stream whose every unit starts with an AUD. */
export function splitOnAud(stream: Uint8Array): AccessUnit[] {
  const units: AccessUnit[] = [];
  const splitter = new H264Splitter({ onUnit: (bytes, key) => units.push({ bytes, key }) });
  splitter.push(stream);
  splitter.flush();
  return units;
}
