// RedisBus, part 2 of 3: room tracking and rosters. Rooms with local participants are "tracked":
// this relay subscribes to their channels, keeps its roster for them in Redis and on the control
// channel, and learns the other relays' rosters, which it tells local participants about.
import { type AudioTrackMessage, encodeControl, type PeerInfo } from "../../protocol/index.ts";
import { log } from "../log.ts";
import type { Room, RoomRegistry } from "../rooms.ts";
import { controlChannel, frameChannel, roomKey } from "./bus-names.ts";
import { ROOM_TTL_MS } from "./cluster-config.ts";
import { clusterStats } from "./cluster-metrics.ts";
import { ignore, type RedisNodeLease } from "./redis-bus-node.ts";
import type { RedisLink } from "./redis-link.ts";
import { type PresenceChange, RemotePresence } from "./remote-presence.ts";
import type { LocalDelivery } from "./room-bus.ts";
import {
  decodeRoster,
  encodeRoster,
  type Roster,
  type RosterPeer,
  RosterVersions,
  rosterPeers,
} from "./roster.ts";

export interface TrackedRoom {
  readonly name: string;
  readonly frames: string;
  readonly control: string;
  readonly key: string;
  readonly remote: RemotePresence;
  /** Settles once subscribed and the stored rosters are read (at once while the link is down). */
  ready: Promise<void>;
  /** When tracking began: a room prepared for a join that never came is dropped after a while. */
  readonly since: number;
}

/** A join waits at most this long for the other relays' rosters before its welcome. */
const PREPARE_TIMEOUT_MS = 500;
/** A room prepared for an upgrade that never became a join stops being followed after this. */
const UNJOINED_ROOM_MS = 10_000;

export class RedisRoomTracker {
  readonly #versions = new RosterVersions();
  readonly #tracked = new Map<string, TrackedRoom>();

  constructor(
    private readonly link: RedisLink,
    private readonly lease: RedisNodeLease,
    private readonly rooms: RoomRegistry,
    private readonly delivery: () => LocalDelivery | null,
  ) {}

  get(name: string): TrackedRoom | undefined {
    return this.#tracked.get(name);
  }

  /** Participants on other relays, for a newcomer's `welcome`. */
  remotePeers(roomName: string): PeerInfo[] {
    return this.#tracked.get(roomName)?.remote.peers() ?? [];
  }

  /** Audio tracks of senders on other relays, replayed to a newcomer after its `welcome`. */
  remoteAudioTracks(roomName: string): AudioTrackMessage[] {
    return this.#tracked.get(roomName)?.remote.audioTracks() ?? [];
  }

  /** Rooms followed and what is held of other relays' rosters (GET /debug/counts). */
  counts(): Record<string, number> {
    const c = { clusterTrackedRooms: this.#tracked.size, clusterRosters: 0, clusterRemotePeers: 0 };
    for (const tracked of this.#tracked.values()) {
      const own = tracked.remote.counts();
      c.clusterRosters += own.rosters;
      c.clusterRemotePeers += own.peers;
    }
    return c;
  }

  /** Starts following a room and waits (briefly) for the other relays' rosters. */
  async prepare(name: string): Promise<void> {
    const tracked = this.#tracked.get(name) ?? this.#track(name);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      tracked.ready,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, PREPARE_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  localJoined(room: Room): void {
    const tracked = this.#tracked.get(room.name) ?? this.#track(room.name);
    room.remoteNodes = tracked.remote.remoteNodes;
    room.remoteShares = tracked.remote.shareOwners();
    this.#publishRoster(tracked, rosterPeers(room));
  }

  localUpdated(room: Room): void {
    const tracked = this.#tracked.get(room.name);
    if (tracked) this.#publishRoster(tracked, rosterPeers(room));
  }

  localLeft(room: Room): void {
    const tracked = this.#tracked.get(room.name);
    if (!tracked) return;
    if (room.size > 0) {
      this.#publishRoster(tracked, rosterPeers(room));
      return;
    }
    this.#untrack(tracked); // last one out
  }

  /** A message on the control channel of a tracked room: another relay's roster. */
  receiveRoster(tracked: TrackedRoom, message: Buffer): void {
    const roster = decodeRoster(message.toString("utf8"));
    if (!roster) {
      clusterStats.malformed++;
      return;
    }
    if (roster.node !== this.lease.nodeId) this.#applyRoster(tracked, roster);
  }

  /** After a (re)connection and the node claim: republish and refollow every tracked room. */
  resync(): void {
    for (const tracked of this.#tracked.values()) {
      const room = this.rooms.rooms.get(tracked.name);
      this.#publishRoster(tracked, room ? rosterPeers(room) : []);
      tracked.ready = this.#follow(tracked);
    }
  }

  /** On the way out: an empty roster for every room still tracked. */
  leaveAll(): void {
    for (const tracked of this.#tracked.values()) this.#publishRoster(tracked, []);
  }

  /** Now and then (heartbeat): stored rosters refreshed, rooms never joined dropped. */
  refreshRosters(): void {
    for (const tracked of [...this.#tracked.values()]) {
      const room = this.rooms.rooms.get(tracked.name);
      if (!room && Date.now() - tracked.since > UNJOINED_ROOM_MS) this.#untrack(tracked);
      if (room && room.size > 0) {
        const text = encodeRoster({
          node: this.lease.nodeId,
          version: this.#versions.next(),
          peers: rosterPeers(room),
        });
        this.link.commands
          .pipeline()
          .hset(tracked.key, String(this.lease.nodeId), text)
          .pexpire(tracked.key, ROOM_TTL_MS)
          .exec()
          .catch(ignore);
      }
    }
  }

  /** Relays with participants in a tracked room. */
  remoteNodes(): Set<number> {
    const nodes = new Set<number>();
    for (const tracked of this.#tracked.values()) {
      for (const node of tracked.remote.nodes()) nodes.add(node);
    }
    return nodes;
  }

  /** A relay whose node key expired: its participants leave every room here. */
  expire(node: number): void {
    let removed = 0;
    for (const tracked of this.#tracked.values()) {
      const left = tracked.remote.dropNode(node);
      if (left.length === 0) continue;
      removed += left.length;
      this.#announce(tracked, { joined: [], left, relayered: [], retracked: [] });
      this.link.commands.hdel(tracked.key, String(node)).catch(ignore);
    }
    // A relay that only left empty rosters behind (it shut down cleanly) needs no warning.
    if (removed === 0) return;
    clusterStats.nodesExpired++;
    log("warn", "cluster_node_expired", { node, peersRemoved: removed });
  }

  #track(name: string): TrackedRoom {
    const tracked: TrackedRoom = {
      name,
      frames: frameChannel(name),
      control: controlChannel(name),
      key: roomKey(name),
      remote: new RemotePresence(),
      ready: Promise.resolve(),
      since: Date.now(),
    };
    this.#tracked.set(name, tracked);
    if (this.link.up) tracked.ready = this.#follow(tracked);
    return tracked;
  }

  /** Stops following a room no one here is in: the others hear an empty roster from us. */
  #untrack(tracked: TrackedRoom): void {
    this.#tracked.delete(tracked.name);
    this.#countRemotePeers();
    if (!this.link.up) return;
    this.#publishRoster(tracked, []);
    this.link.commands.hdel(tracked.key, String(this.lease.nodeId)).catch(ignore);
    this.link.subscriber.unsubscribe(tracked.frames, tracked.control).catch(ignore);
  }

  #publishRoster(tracked: TrackedRoom, peers: RosterPeer[]): void {
    if (!this.link.up || !this.lease.claimed) return; // resync() publishes everything when back
    const node = this.lease.nodeId;
    const text = encodeRoster({ node, version: this.#versions.next(), peers });
    const pipeline = this.link.commands.pipeline();
    if (peers.length > 0) {
      pipeline.hset(tracked.key, String(node), text).pexpire(tracked.key, ROOM_TTL_MS);
    }
    pipeline.publish(tracked.control, text);
    pipeline.exec().catch(ignore);
  }

  /** Subscribe to a room's channels, then read the rosters already there. */
  async #follow(tracked: TrackedRoom): Promise<void> {
    try {
      await this.link.subscriber.subscribe(tracked.frames, tracked.control);
      const stored = await this.link.commands.hgetall(tracked.key);
      const rosters = Object.values(stored)
        .map(decodeRoster)
        .filter((r): r is Roster => r !== null && r.node !== this.lease.nodeId);
      if (rosters.length === 0) return;
      // A roster left behind by a relay that died is ignored: its node key has expired.
      const alive = await this.lease.alive(rosters.map((r) => r.node));
      rosters.forEach((roster, i) => {
        if (alive[i]) this.#applyRoster(tracked, roster);
      });
    } catch (error) {
      log("debug", "cluster_follow_failed", { room: tracked.name, error: String(error) });
    }
  }

  #applyRoster(tracked: TrackedRoom, roster: Roster): void {
    // A late reply for a room that was left (and maybe re-entered) since: not ours to apply.
    if (this.#tracked.get(tracked.name) !== tracked) return;
    this.#announce(tracked, tracked.remote.apply(roster));
  }

  /** Tells local participants who came and went elsewhere, and updates the room's interest. */
  #announce(tracked: TrackedRoom, change: PresenceChange | null): void {
    const room = this.rooms.rooms.get(tracked.name);
    // Shares before this change: their leaves go only to receivers that take shares.
    const sharesBefore = room?.remoteShares ?? new Map<number, number>();
    if (room) {
      room.remoteNodes = tracked.remote.remoteNodes;
      room.remoteShares = tracked.remote.shareOwners();
    }
    if (!change) return;
    this.#countRemotePeers();
    if (!room) return;
    const delivery = this.delivery();
    if (!delivery) return;
    const isShare = (peer: PeerInfo) => peer.source === "screen";
    for (const id of change.left) {
      delivery.presence(room, encodeControl({ type: "leave", id }), sharesBefore.has(id));
      delivery.senderLeft(room, id);
    }
    for (const peer of change.joined) {
      delivery.presence(room, encodeControl({ type: "join", peer }), isShare(peer));
      if (peer.layers) delivery.senderLayers(room, peer.id, peer.layers.length);
    }
    for (const peer of change.relayered) {
      const { id, layers } = peer;
      if (!layers) continue;
      delivery.presence(room, encodeControl({ type: "layers", id, layers }), isShare(peer));
      delivery.senderLayers(room, id, layers.length);
    }
    // After the joins, so receivers know the sender before they learn its track.
    for (const track of change.retracked) delivery.audioTrack(room, track);
    for (const peer of change.updated ?? []) {
      delivery.presence(room, encodeControl({ type: "peer_update", peer }), isShare(peer));
    }
  }

  #countRemotePeers(): void {
    let count = 0;
    for (const tracked of this.#tracked.values()) count += tracked.remote.peers().length;
    clusterStats.remotePeers = count;
  }
}
