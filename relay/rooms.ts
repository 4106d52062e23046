// Room registry: who is in which room, in which wire format. Fan-out itself is Bun's topics.
import type { ChatMessage, PeerInfo } from "../protocol/index.ts";
import { RoomAudioReceivers, RoomVideoReceivers } from "./delivery/room-receivers.ts";
import { type PeerSocket, peerInfo } from "./peer.ts";
import { stats } from "./stats.ts";
import { roomTopics } from "./topics.ts";

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
  /** Screen shares' presence, for v1 receivers that joined with shares=1 (relay/screen-shares.ts). */
  readonly sharePresenceTopic: string;
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
  /** Screen shares on other relays (share id → owner id), from their rosters (relay/cluster/). */
  remoteShares = new Map<number, number>();
  /** Who is on each room topic and how its last publish went (relay/delivery/topic-publisher.ts). */
  readonly binaryReceivers = new RoomVideoReceivers(this, false);
  readonly legacyReceivers = new RoomVideoReceivers(this, true);
  readonly audioReceivers = new RoomAudioReceivers(this);
  /** Senders whose encrypted frames old-protocol receivers here were denied (logged once each). */
  readonly e2eeNotedSenders = new Set<number>();
  /** The last CHAT_HISTORY_SIZE chat messages, in memory only (relay/moderation/). */
  readonly chat: ChatMessage[] = [];
  /** Characters of text and sealed payload in `chat` (capped at CHAT_HISTORY_CHARS). */
  chatChars = 0;

  constructor(readonly name: string) {
    const topics = roomTopics(name);
    this.binaryTopic = topics.binary;
    this.audioTopic = topics.audio;
    this.legacyTopic = topics.legacy;
    this.presenceTopic = topics.presence;
    this.sharePresenceTopic = topics.sharePresence;
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
    // A screen share receives nothing (relay/screen-shares.ts): never on the room's video topic.
    else if (ws.data.source !== "screen") room.binaryPeers++;
    if (ws.data.audio) room.audioPeers++;
  }

  /** Removes the peer; returns false if it was not in its room (already removed). */
  remove(ws: PeerSocket): boolean {
    const { room } = ws.data;
    if (!room || room.peers.get(ws.data.id) !== ws) return false;
    room.peers.delete(ws.data.id);
    if (ws.data.legacy) room.legacyPeers--;
    else if (ws.data.source !== "screen") room.binaryPeers--;
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
    room.e2eeNotedSenders.delete(ws.data.id);
    this.forgetIfEmpty(room);
    return true;
  }

  /** Sizes of the registry's maps and sets, summed over rooms (GET /debug/counts). */
  counts(): Record<string, number> {
    const c = { rooms: this.rooms.size, roomPeers: 0, roomAudioTracks: 0, roomE2eeNotedSenders: 0 };
    for (const room of this.rooms.values()) {
      c.roomPeers += room.peers.size;
      c.roomAudioTracks += room.audioTracks.size;
      c.roomE2eeNotedSenders += room.e2eeNotedSenders.size;
    }
    return c;
  }

  *allPeers(): IterableIterator<PeerSocket> {
    for (const room of this.rooms.values()) yield* room.peers.values();
  }
}
