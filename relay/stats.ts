// The relay's counters: plain numbers the hot path bumps (relay/metrics.ts reads them for
// /metrics at scrape time). A leaf module, so that any part of the relay can count.
export const stats = {
  framesIn: 0,
  bytesIn: 0,
  /** Frame deliveries handed to receivers' sockets (one per receiver). */
  framesOut: 0,
  bytesOut: 0,
  /** Deliveries skipped because a receiver's send buffer was over the backpressure limit. */
  framesDropped: 0,
  /** Audio (kind 3), counted apart from video frames. */
  audioPacketsIn: 0,
  audioBytesIn: 0,
  audioPacketsOut: 0,
  audioBytesOut: 0,
  /** Audio deliveries skipped: the receiver's buffer was over the limit plus the audio headroom. */
  audioPacketsDropped: 0,
  conversionsToLegacy: 0,
  conversionsToBinary: 0,
  /** Deliveries not made: encrypted frames are never converted for old-protocol receivers. */
  e2eeNotConverted: 0,
  /** Refused messages by reason (frame_too_short, bad_text...). */
  rejected: new Map<string, number>(),
  /** Refused joins by reason (room_full, too_many_rooms, bad_room...). */
  refusedJoins: new Map<string, number>(),
  connectionsOpened: 0,
  connectionsClosed: 0,
};

export function countRejected(reason: string): void {
  stats.rejected.set(reason, (stats.rejected.get(reason) ?? 0) + 1);
}

export function countRefusedJoin(reason: string): void {
  stats.refusedJoins.set(reason, (stats.refusedJoins.get(reason) ?? 0) + 1);
}
