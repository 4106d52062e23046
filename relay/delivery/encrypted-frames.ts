// End-to-end encrypted frames (docs/PROTOCOL.md, "Encrypted frames") as the relay sees them: it
// reads the Encrypted flag and nothing else. It never converts them for old-protocol receivers
// (the base64 of ciphertext would be shown as a broken JPEG); it counts what they miss and logs
// it once per sender. Senders announce encryption with ?e2ee=1 (protocol/join-options.ts), shown
// in presence.
import { log } from "../log.ts";
import type { PeerSocket } from "../peer.ts";
import type { Room } from "../rooms.ts";
import { stats } from "../stats.ts";

/**
 * An encrypted frame the room's old-protocol receivers won't get. Counted per frame and
 * receiver; logged once per sender per room, so an operator can tell why they see nothing.
 */
export function skipForLegacy(
  room: Room,
  from: PeerSocket | null,
  senderId: number,
  legacyReceivers: number,
): void {
  stats.e2eeNotConverted += legacyReceivers;
  if (room.e2eeNotedSenders.has(senderId)) return;
  room.e2eeNotedSenders.add(senderId);
  log("info", "e2ee_not_converted", {
    room: room.name,
    id: senderId,
    name: from?.data.name ?? null,
    legacyPeers: room.legacyPeers,
    reason: "old-protocol receivers get no end-to-end encrypted frames",
  });
}
