// codecs_needed (docs/PROTOCOL.md, "Mixed rooms"): each v1 sender learns which codecs the other
// participants of its room decode, on this relay and on others (their roster's PeerInfo.h264),
// so it keeps a JPEG stream while anyone can't decode H.264. Sent once on join and again only
// when the answer changes. O(participants) per join or leave, nothing per frame.
import { encodeControl, type PeerInfo } from "../../../protocol/index.ts";
import type { PeerSocket } from "../../peer.ts";
import type { Room } from "../../rooms.ts";
import { isShare, takesShares } from "../../screen-shares.ts";

interface Counts {
  jpeg: number;
  h264: number;
}

/** Who needs JPEG: old-protocol participants and v1 ones that didn't declare codecs=h264. */
function needsJpeg(peer: Pick<PeerInfo, "legacy" | "h264">): boolean {
  return peer.legacy || peer.h264 !== true;
}

function count(into: Counts, peer: Pick<PeerInfo, "legacy" | "h264">, by: 1 | -1): void {
  if (needsJpeg(peer)) into.jpeg += by;
  else into.h264 += by;
}

/** Tells every v1 participant of `room` that may send what its receivers need, if it changed. */
export function updateCodecsNeeded(room: Room, remotePeers: readonly PeerInfo[]): void {
  const all: Counts = { jpeg: 0, h264: 0 };
  // Screen shares receive nothing: they need no codec.
  for (const peer of room.peers.values()) if (!isShare(peer.data)) count(all, peer.data, 1);
  // Shares on other relays receive nothing either.
  const remoteReceivers = remotePeers.filter((peer) => peer.source !== "screen");
  for (const peer of remoteReceivers) count(all, peer, 1);
  for (const peer of room.peers.values()) {
    if (peer.data.legacy || !peer.data.canPublish) continue;
    if (isShare(peer.data)) {
      const audience = shareAudience(room, peer.data.shareOwner, remoteReceivers);
      sendIfChanged(peer, audience, false);
    } else sendIfChanged(peer, all, true);
  }
}

/**
 * Who a share's frames reach: local receivers that take shares, its owner excepted, and v1
 * receivers on other relays (their rosters don't say who takes shares: counting them all can
 * only keep a JPEG stream one more receiver needs, never lose one).
 */
function shareAudience(room: Room, ownerId: number, remote: readonly PeerInfo[]): Counts {
  const audience: Counts = { jpeg: 0, h264: 0 };
  for (const peer of room.peers.values()) {
    if (takesShares(peer.data) && peer.data.id !== ownerId) count(audience, peer.data, 1);
  }
  for (const peer of remote) if (!peer.legacy) count(audience, peer, 1);
  return audience;
}

function sendIfChanged(peer: PeerSocket, all: Counts, countsSelf: boolean): void {
  const others = { ...all };
  if (countsSelf) count(others, peer.data, -1);
  const jpeg = others.jpeg > 0;
  const h264 = others.h264 > 0;
  const key = `${jpeg ? "jpeg" : ""},${h264 ? "h264" : ""}`;
  if (key === peer.data.codecsNeededSent) return;
  peer.data.codecsNeededSent = key;
  peer.send(encodeControl({ type: "codecs_needed", jpeg, h264 }));
}
