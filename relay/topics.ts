// Every Bun pub/sub topic name the relay uses, in one place. Room names are [A-Za-z0-9_-]{1,64},
// so ":" never appears in one and no two topics can collide.

/** The topics of one room. */
export interface RoomTopics {
  /** Video frames for v1 receivers that don't ack. */
  binary: string;
  /** Audio packets and audio_track messages for v1 receivers that take audio. */
  audio: string;
  /** Base64 text frames for old-protocol (legacy) receivers. */
  legacy: string;
  /** Presence and other control JSON for every v1 receiver. */
  presence: string;
  /** Screen shares' presence (join, leave, layers) for v1 receivers that joined with shares=1. */
  sharePresence: string;
}

export function roomTopics(room: string): RoomTopics {
  return {
    binary: `b:${room}`,
    audio: `a:${room}`,
    legacy: `t:${room}`,
    presence: `p:${room}`,
    sharePresence: `ps:${room}`,
  };
}

/** One sender's H.264 frames for receivers that don't ack and are in step (delivery/h264/). */
export function h264Topic(room: string, senderId: number): string {
  return `h:${room}:${senderId}`;
}

/** One sender's frames of one layer, for the acking receivers paced on it (delivery/pacing/). */
export function senderTopic(room: string, senderId: number, layer = 0, h264 = false): string {
  const base = h264 ? `s4:${room}:${senderId}` : `s:${room}:${senderId}`;
  return layer === 0 ? base : `${base}:${layer}`;
}
