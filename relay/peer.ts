// Per-connection state, kept apart from the room registry so that every module can name a
// peer without importing the registry (a leaf, like galene's conn/ package).

import { randomBytes } from "node:crypto";
import type { ServerWebSocket } from "bun";
import type { AudioTrackInfo, LayerSize, PeerInfo, ScreenShareClaim } from "../protocol/index.ts";
import { stoppedMediaList } from "./moderation/media-stop.ts";
import type { Room } from "./rooms.ts";
import { newPeerGuard, type PeerGuard } from "./security/peer-guard.ts";

/** Per-connection state, stored by Bun as `ws.data` (PeerGuard: rate limits, publish right). */
export interface Peer extends PeerGuard {
  id: number;
  name: string;
  legacy: boolean;
  /** Joined with ?e2ee=1: says its frames are end-to-end encrypted (shown in presence). */
  e2ee: boolean;
  /** Joined with ?ack=1: frames are paced by this receiver's acks (relay/delivery/pacing/ack-pacing.ts). */
  acks: boolean;
  /** Joined with ?layers=1 (and ?ack=1): gets whichever layer it asks for and its link takes. */
  layered: boolean;
  /** Joined with `codecs=h264`: it decodes kind 4; without it, it gets JPEG only. */
  h264: boolean;
  /** The last codecs_needed sent to it ("jpeg,h264" style key; "" before the first). */
  codecsNeededSent: string;
  /** The layers it sends, once announced (`layers` control message). */
  layers: LayerSize[] | undefined;
  /** Takes audio (v1 without ?audio=0): subscribed to the room's audio topic. */
  audio: boolean;
  /** Its newest `audio_track`, once announced (other relays learn it from the roster). */
  audioTrack: AudioTrackInfo | undefined;
  /**
   * Off the room's video topic because its buffer passed the video limit (relay/delivery/
   * video-parking.ts): audio keeps flowing on top; back on the topic once the buffer drains.
   */
  videoParked: boolean;
  /** Room.videoFrames when it was parked: the frames it missed are counted as drops on return. */
  parkedAtVideoFrame: number;
  /** Asked for at upgrade; checked against the limits when the socket opens. */
  roomName: string;
  /** Set once the peer has been admitted, in the open handler. */
  room: Room | undefined;
  /** Next sequence number the relay stamps on this peer's converted legacy frames. */
  legacySequence: number;
  /** Frames dropped because this receiver's send buffer was over the backpressure limit. */
  framesDropped: number;
  /** Messages from this peer the relay refused (malformed, oversized...). */
  rejected: number;
  joinedAt: number;
  /** The client's address (behind --trust-proxy: from X-Forwarded-For), for logs. */
  address?: string | undefined;
  /** Its join token's `moderate` permission (relay/moderation/). */
  canModerate: boolean;
  /** Its join token's id and expiry (seconds), for the deny list; null without tokens. */
  token: { id: string; expiresAt: number } | null;
  /** When its hand went up (ms); undefined while down. */
  handRaisedAt: number | undefined;
  /** It said it records the room. */
  recording: boolean;
  /** Media a moderator stopped (relay/moderation/media-stop.ts bits): dropped by the fan-out. */
  mediaStopped: number;
  /** The room was locked when it joined (its welcome says so). */
  joinedLocked: boolean;
  /** "screen": this connection is another participant's screen share (relay/screen-shares.ts). */
  source: "camera" | "screen";
  /** What its join URL claimed (`source=screen&owner=&share=`), checked on open; null: a camera. */
  screenClaim: ScreenShareClaim | null;
  /** Its join URL had a malformed `source=`: refused on open. */
  badSource: boolean;
  /** A share: its owner's id (0 for a camera). */
  shareOwner: number;
  /** Joined with `shares=1` (and `ack=1`): gets screen shares' presence and frames. */
  shares: boolean;
  /** The secret its own share connection presents (sent in its welcome with `shares=1`). */
  shareKey: string;
  /** An owner: its share connection now, if it shares. */
  shareSocket: PeerSocket | undefined;
}

export type PeerSocket = ServerWebSocket<Peer>;

/** A connection's state before it is admitted: nothing opted into, nothing counted yet. */
export function newPeer(id: number, name: string, legacy: boolean, roomName: string): Peer {
  return {
    id,
    name,
    legacy,
    acks: false,
    layered: false,
    h264: false,
    codecsNeededSent: "",
    layers: undefined,
    audio: false,
    audioTrack: undefined,
    videoParked: false,
    parkedAtVideoFrame: 0,
    e2ee: false,
    roomName,
    room: undefined,
    legacySequence: 0,
    framesDropped: 0,
    rejected: 0,
    joinedAt: Date.now(),
    canModerate: false,
    token: null,
    handRaisedAt: undefined,
    recording: false,
    mediaStopped: 0,
    joinedLocked: false,
    source: "camera",
    screenClaim: null,
    badSource: false,
    shareOwner: 0,
    shares: false,
    shareKey: randomBytes(18).toString("base64url"),
    shareSocket: undefined,
    ...newPeerGuard(true),
  };
}

/** Frames dropped for a receiver so far, counting those it is missing while its video is parked. */
export function framesDroppedFor(peer: Peer): number {
  const parked =
    peer.videoParked && peer.room ? peer.room.framesOf(peer.legacy) - peer.parkedAtVideoFrame : 0;
  return peer.framesDropped + parked;
}

export function peerInfo(peer: Peer): PeerInfo {
  const info: PeerInfo = { id: peer.id, name: peer.name, legacy: peer.legacy };
  if (peer.layers) info.layers = peer.layers;
  if (peer.e2ee) info.e2ee = true;
  if (peer.h264) info.h264 = true;
  if (!peer.canPublish) info.viewOnly = true;
  if (peer.handRaisedAt !== undefined) info.hand = peer.handRaisedAt;
  if (peer.recording) info.recording = true;
  if (peer.canModerate) info.moderator = true;
  if (peer.mediaStopped !== 0) info.stopped = stoppedMediaList(peer.mediaStopped);
  if (peer.source === "screen") {
    info.source = "screen";
    info.owner = peer.shareOwner;
  }
  return info;
}
