// Room registry: who is in which room, in which wire format. Fan-out itself is Bun's topics.
import type { ServerWebSocket } from "bun";
import type { LayerSize, PeerInfo } from "../protocol/index.ts";
import type { PeerGuard } from "./security/rate-limit.ts";

/** Per-connection state, stored by Bun as `ws.data` (PeerGuard: rate limits, publish right). */
export interface Peer extends PeerGuard {
  id: number;
  name: string;
  legacy: boolean;
  /** Joined with ?ack=1: frames are paced by this receiver's acks (relay/delivery/ack-pacing.ts). */
  acks: boolean;
  /** Joined with ?layers=1 (and ?ack=1): gets whichever layer it asks for and its link takes. */
  layered: boolean;
  /** The layers it sends, once announced (`layers` control message). */
  layers: LayerSize[] | undefined;
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
}

export type PeerSocket = ServerWebSocket<Peer>;

export class Room {
  readonly peers = new Map<number, PeerSocket>();
  /** Topic of new-protocol receivers: binary frames plus presence JSON. */
  readonly binaryTopic: string;
  /** Topic of old-protocol (legacy) receivers: base64 text frames only. */
  readonly legacyTopic: string;
  /** Presence JSON for acking receivers, who get frames on per-sender topics, not binaryTopic. */
  readonly presenceTopic: string;
  binaryPeers = 0;
  legacyPeers = 0;
  /** Other relays with participants here (relay/cluster/): frames cross Redis while > 0. */
  remoteNodes = 0;
  /**
   * Status of the last publish to each room topic (relay/delivery/fanout.ts): > 0 means every
   * receiver took it at once, so none can be over the backpressure limit for the next one.
   */
  binaryTopicStatus = 1;
  legacyTopicStatus = 1;

  constructor(readonly name: string) {
    this.binaryTopic = `b:${name}`;
    this.legacyTopic = `t:${name}`;
    this.presenceTopic = `p:${name}`;
  }

  get size(): number {
    return this.peers.size;
  }

  peerList(): PeerInfo[] {
    return [...this.peers.values()].map((ws) => peerInfo(ws.data));
  }
}

export function peerInfo(peer: Peer): PeerInfo {
  const info: PeerInfo = { id: peer.id, name: peer.name, legacy: peer.legacy };
  if (peer.layers) info.layers = peer.layers;
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
  }

  /** Removes the peer; returns false if it was not in its room (already removed). */
  remove(ws: PeerSocket): boolean {
    const { room } = ws.data;
    if (!room || room.peers.get(ws.data.id) !== ws) return false;
    room.peers.delete(ws.data.id);
    if (ws.data.legacy) room.legacyPeers--;
    else room.binaryPeers--;
    this.forgetIfEmpty(room);
    return true;
  }

  *allPeers(): IterableIterator<PeerSocket> {
    for (const room of this.rooms.values()) yield* room.peers.values();
  }
}
