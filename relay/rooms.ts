// Room registry: who is in which room, in which wire format. Fan-out itself is Bun's topics.
import type { ServerWebSocket } from "bun";
import type { AudioTrackInfo, LayerSize, PeerInfo } from "../protocol/index.ts";
import { stats } from "./metrics.ts";
import { newPeerGuard, type PeerGuard } from "./security/rate-limit.ts";

/** Per-connection state, stored by Bun as `ws.data` (PeerGuard: rate limits, publish right). */
export interface Peer extends PeerGuard {
  id: number;
  name: string;
  legacy: boolean;
  /** Joined with ?e2ee=1: says its frames are end-to-end encrypted (shown in presence). */
  e2ee: boolean;
  /** Joined with ?ack=1: frames are paced by this receiver's acks (relay/delivery/ack-pacing.ts). */
  acks: boolean;
  /** Joined with ?layers=1 (and ?ack=1): gets whichever layer it asks for and its link takes. */
  layered: boolean;
  /** The layers it sends, once announced (`layers` control message). */
  layers: LayerSize[] | undefined;
  /** Takes audio (v1 without ?audio=0): subscribed to the room's audio topic. */
  audio: boolean;
  /** Its newest `audio_track`, once announced (other relays learn it from the roster). */
  audioTrack: AudioTrackInfo | undefined;
  /**
   * Off the room's video topic because its buffer passed the video limit (relay/delivery/
   * fanout.ts): audio keeps flowing on top; back on the topic once the buffer drains.
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
    ...newPeerGuard(true),
  };
}

export class Room {
  readonly peers = new Map<number, PeerSocket>();
  /** Video frames for v1 receivers that don't ack (acking ones get per-sender topics). */
  readonly binaryTopic: string;
  /** Audio packets and audio_track messages for v1 receivers that take audio. */
  readonly audioTopic: string;
  /** Topic of old-protocol (legacy) receivers: base64 text frames only. */
  readonly legacyTopic: string;
  /** Presence JSON (join/leave) for every v1 receiver. */
  readonly presenceTopic: string;
  binaryPeers = 0;
  /** V1 peers on audioTopic. */
  audioPeers = 0;
  /** V1 peers off binaryTopic for now (Peer.videoParked). */
  videoParked = 0;
  /** Old-protocol peers off legacyTopic for now (Peer.videoParked). */
  legacyParked = 0;
  /** Frames published on binaryTopic so far (to count what a parked receiver missed). */
  videoFrames = 0;
  /** The same for legacyTopic. */
  legacyFrames = 0;
  /**
   * The newest audio_track of each local sender, as forwarded, for everyone who joins later
   * (senders on other relays: RoomBus.remoteAudioTracks).
   */
  readonly audioTracks = new Map<number, string>();
  legacyPeers = 0;
  /** Other relays with participants here (relay/cluster/): frames cross Redis while > 0. */
  remoteNodes = 0;
  /**
   * Status of the last publish to each room topic (relay/delivery/fanout.ts): > 0 means every
   * receiver took it at once, so none can be over the backpressure limit for the next one.
   */
  binaryTopicStatus = 1;
  legacyTopicStatus = 1;
  /** Senders whose encrypted frames old-protocol receivers here were denied (logged once each). */
  readonly e2eeNotedSenders = new Set<number>();

  constructor(readonly name: string) {
    this.binaryTopic = `b:${name}`;
    this.audioTopic = `a:${name}`;
    this.legacyTopic = `t:${name}`;
    this.presenceTopic = `p:${name}`;
  }

  /** Frames published so far on the video topic of that format. */
  framesOf(legacy: boolean): number {
    return legacy ? this.legacyFrames : this.videoFrames;
  }

  /** Video topic of that format. */
  videoTopicOf(legacy: boolean): string {
    return legacy ? this.legacyTopic : this.binaryTopic;
  }

  /** One more (or, with -1, one fewer) receiver of that format parked. */
  countParked(legacy: boolean, change: 1 | -1): void {
    if (legacy) this.legacyParked += change;
    else this.videoParked += change;
  }

  get size(): number {
    return this.peers.size;
  }

  peerList(): PeerInfo[] {
    return [...this.peers.values()].map((ws) => peerInfo(ws.data));
  }
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
  return info;
}

export type JoinRefusal = "room_full" | "too_many_rooms";

export class RoomRegistry {
  readonly rooms = new Map<string, Room>();
  constructor(
    private readonly maxRooms: number,
    private readonly maxPeersPerRoom: number,
  ) {}

  /** The room to join, created on demand, or why the join is refused. */
  roomFor(name: string): Room | JoinRefusal {
    const existing = this.rooms.get(name);
    if (existing) return existing.size >= this.maxPeersPerRoom ? "room_full" : existing;
    if (this.rooms.size >= this.maxRooms) return "too_many_rooms";
    const room = new Room(name);
    this.rooms.set(name, room);
    return room;
  }

  /** Drops a room that was created for a join that was then refused or never completed. */
  forgetIfEmpty(room: Room): void {
    if (room.size === 0 && this.rooms.get(room.name) === room) this.rooms.delete(room.name);
  }

  add(ws: PeerSocket, room: Room): void {
    ws.data.room = room;
    room.peers.set(ws.data.id, ws);
    if (ws.data.legacy) room.legacyPeers++;
    else room.binaryPeers++;
    if (ws.data.audio) room.audioPeers++;
  }

  /** Removes the peer; returns false if it was not in its room (already removed). */
  remove(ws: PeerSocket): boolean {
    const { room } = ws.data;
    if (!room || room.peers.get(ws.data.id) !== ws) return false;
    room.peers.delete(ws.data.id);
    if (ws.data.legacy) room.legacyPeers--;
    else room.binaryPeers--;
    if (ws.data.audio) room.audioPeers--;
    if (ws.data.videoParked) {
      // What it missed while parked becomes its final drop count (relay/delivery/video-parking.ts).
      const missed = room.framesOf(ws.data.legacy) - ws.data.parkedAtVideoFrame;
      ws.data.framesDropped += missed;
      stats.framesDropped += missed;
      ws.data.videoParked = false;
      room.countParked(ws.data.legacy, -1);
    }
    room.audioTracks.delete(ws.data.id);
    this.forgetIfEmpty(room);
    return true;
  }

  *allPeers(): IterableIterator<PeerSocket> {
    for (const room of this.rooms.values()) yield* room.peers.values();
  }
}
