// Screen shares (docs/PROTOCOL.md, "Screen sharing"): a share is a second connection of a
// participant, joined with `source=screen&owner=ID&share=KEY`, KEY being the `shareKey` of the
// owner's welcome. The relay treats it as a sender of its own (layers, acks, E2EE, H.264 rules
// apply per source as they do per participant) that receives nothing, and shows it only to v1
// receivers that joined with `shares=1` (and `ack=1`): its frames go only through their paced
// lanes (never the room topics, the legacy topic or H.264 clean streams), its presence only on
// the room's share-presence topic. Old receivers see the camera only. In a cluster its roster
// entry and frames cross Redis like a camera's; the receiving relay knows it from the roster
// (Room.remoteShares) and applies the same rules to it.
import { timingSafeEqual } from "node:crypto";
import { CloseCode, type PeerInfo } from "../protocol/index.ts";
import type { Peer, PeerSocket } from "./peer.ts";
import { type Refusal, Refusals } from "./refusals.ts";
import type { Room } from "./rooms.ts";

export function isShare(peer: Pick<Peer, "source">): boolean {
  return peer.source === "screen";
}

/** Whether `receiver` may see screen shares at all (presence and frames). */
export function takesShares(receiver: Peer): boolean {
  return receiver.shares && receiver.acks && !receiver.legacy && !isShare(receiver);
}

/** Whether `receiver` gets `senderId`'s frames: cameras to everyone, shares to takers but their owner. */
export function takesFramesOf(room: Room, senderId: number, receiver: Peer): boolean {
  const sender = room.peers.get(senderId)?.data;
  // A share on another relay, known from its roster (relay/cluster/roster.ts).
  const owner = sender === undefined ? room.remoteShares.get(senderId) : undefined;
  if (owner !== undefined) return takesShares(receiver) && receiver.id !== owner;
  if (sender === undefined || !isShare(sender)) return true;
  return takesShares(receiver) && receiver.id !== sender.shareOwner;
}

/** Whether the frames of `senderId` are a share's, here or on another relay. */
export function isShareSender(room: Room, senderId: number): boolean {
  const sender = room.peers.get(senderId)?.data;
  return sender === undefined ? room.remoteShares.has(senderId) : isShare(sender);
}

/** A presence list as `receiver` may see it: without shares unless it takes them. */
export function visiblePeers(peers: PeerInfo[], receiver: Peer): PeerInfo[] {
  return takesShares(receiver) ? peers : peers.filter((peer) => peer.source !== "screen");
}

function sameKey(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * On open, before admission, for a connection that claims to be a share: links it to its owner
 * (a camera connection on this relay, in this room, that may publish, with the same key), or
 * says why not. A new share of the same owner replaces the old one.
 */
export function linkShare(ws: PeerSocket, room: Room): (Refusal & { close: number }) | null {
  const claim = ws.data.screenClaim;
  if (ws.data.badSource || claim === null) return Refusals.shareBadSource;
  const owner = room.peers.get(claim.owner);
  if (
    owner === undefined ||
    owner.data.legacy ||
    isShare(owner.data) ||
    !owner.data.canPublish ||
    !ws.data.canPublish ||
    !sameKey(owner.data.shareKey, claim.key)
  ) {
    return Refusals.shareRefused;
  }
  const previous = owner.data.shareSocket;
  if (previous) endShare(previous, "replaced by a new screen share");
  const share = ws.data;
  share.source = "screen";
  share.shareOwner = owner.data.id;
  // A moderator's stops of the owner hold for its share too (relay/moderation/media-stop.ts).
  share.mediaStopped = owner.data.mediaStopped;
  // Named by the relay after its owner (a join can't borrow someone else's name for its share).
  share.name = owner.data.name;
  // A share sends only: no lanes, no room topics, no sound, no clean streams.
  share.acks = false;
  share.layered = false;
  share.audio = false;
  share.h264 = false;
  share.shares = false;
  owner.data.shareSocket = ws;
  return null;
}

/** Ends a share connection (its owner left, or shares anew). */
export function endShare(share: PeerSocket, reason: string): void {
  share.close(CloseCode.ShareEnded, reason);
}

/** On close of any peer: a share unlinks from its owner; an owner's share ends with it. */
export function unlinkOnClose(ws: PeerSocket, room: Room): void {
  const peer = ws.data;
  if (isShare(peer)) {
    const owner = room.peers.get(peer.shareOwner);
    if (owner?.data.shareSocket === ws) owner.data.shareSocket = undefined;
    return;
  }
  const share = peer.shareSocket;
  peer.shareSocket = undefined;
  if (share) endShare(share, "the sharer left");
}
