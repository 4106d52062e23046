// Which media a moderator stopped, as bits on the peer: the fan-out drops a stopped medium with
// one integer test on the hot path (relay/delivery/fanout.ts).
import { FrameKind, type MediaKind } from "../../protocol/index.ts";

export const MediaBit: Record<MediaKind, number> = { camera: 1, sound: 2, screen: 4 };

export function stoppedMediaList(bits: number): MediaKind[] {
  return (Object.keys(MediaBit) as MediaKind[]).filter((kind) => (bits & MediaBit[kind]) !== 0);
}

/**
 * True when a frame of this kind is stopped. `screen`: the frame comes from a screen-share
 * connection (relay/screen-shares.ts), which carries its owner's bits.
 */
export function isStopped(bits: number, kind: number | null, screen = false): boolean {
  if (kind === FrameKind.Audio) return (bits & MediaBit.sound) !== 0;
  if (kind === FrameKind.VideoJpeg || kind === FrameKind.VideoH264) {
    return (bits & (screen ? MediaBit.screen : MediaBit.camera)) !== 0;
  }
  return false;
}
