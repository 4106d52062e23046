// When a sender skips instead of sending, for both clients: a socket holding more unsent bytes
// than this is congested, and a new picture would only queue behind old ones (a frame skipped
// now is better than one shown late). Sound has its own, larger allowance: 20 ms packets are
// small and a gap is heard.
import { HEADER_BYTES } from "../protocol/index.ts";

/** Pictures' worth of unsent bytes the socket may hold before new pictures are skipped. */
export const MAX_BUFFERED_FRAMES = 2;

/** Past this many unsent bytes the link is gone for now: drop sound rather than pile it up. */
export const MAX_BUFFERED_AUDIO_BYTES = 1 << 20;

/** `pictureBytes`: every layer of the last picture sent, headers included. */
export function videoCongested(bufferedAmount: number, pictureBytes: number): boolean {
  return bufferedAmount > MAX_BUFFERED_FRAMES * Math.max(pictureBytes, HEADER_BYTES);
}

export function audioCongested(bufferedAmount: number): boolean {
  return bufferedAmount > MAX_BUFFERED_AUDIO_BYTES;
}
