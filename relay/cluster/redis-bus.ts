// One relay's membership of a cluster (issue 6). Rooms with local participants are "tracked":
// this relay subscribes to their Redis channels, keeps its roster for them in Redis and on the
// control channel, and learns the other relays' rosters. Frames go to the bus only while
// another relay has someone in the room (Room.remoteNodes > 0), once per frame.
import type { Registry } from "prom-client";
import {
  type AudioTrackMessage,
  encodeControl,
  HEADER_BYTES,
  type PeerInfo,
  readSenderId,
  validateFrame,
} from "../../protocol/index.ts";
import { log } from "../log.ts";
import type { Room, RoomRegistry } from "../rooms.ts";
import { controlChannel, frameChannel, nodeKey, parseChannel, roomKey } from "./bus-names.ts";
import {
  HEARTBEAT_MS,
  NODE_TTL_MS,
  ROOM_TTL_MS,
  ROSTER_REFRESH_BEATS,
  SWEEP_GRACE_MS,
} from "./cluster-config.ts";
import { clusterStats, registerClusterMetrics } from "./cluster-metrics.ts";
import { ClusterPeerIds, nodeOfPeer, randomNodeId } from "./peer-ids.ts";
import { RedisLink } from "./redis-link.ts";
import { type PresenceChange, RemotePresence } from "./remote-presence.ts";
import type { LocalDelivery, RoomBus } from "./room-bus.ts";
import {
  decodeRoster,
  encodeRoster,
  type Roster,
  type RosterPeer,
  RosterVersions,
  rosterPeers,
} from "./roster.ts";

interface TrackedRoom {
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

/** Sets the node key when it is free or already ours (atomic, so two relays never share an id). */
const CLAIM_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
const CLAIM_ATTEMPTS = 20;

/** Deletes our node key on the way out, unless another relay has (somehow) taken it since. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisBus implements RoomBus {
  readonly #link: RedisLink;
  readonly #ids = new ClusterPeerIds(randomNodeId());
  /** Tells this process's node key from a dead predecessor's with the same id. */
  readonly #token = crypto.randomUUID();
  readonly #versions = new RosterVersions();
  readonly #tracked = new Map<string, TrackedRoom>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  /** Set at start by relay/server.ts, before the relay listens. */
  #delivery: LocalDelivery | null = null;
  #claimed = false;
  #idsIssued = false;
  /** No relay is declared dead before this time (see SWEEP_GRACE_MS). */
  #sweepFrom = 0;
  #beats = 0;
  #sweeping = false;

  constructor(
    url: string,
    private readonly rooms: RoomRegistry,
    private readonly maxFrameBytes: number,
  ) {
    clusterStats.nodeId = this.#ids.nodeId;
    this.#link = new RedisLink(url, {
      onUp: () => void this.#resync(),
      onDown: () => {
        clusterStats.linkUp = 0;
      },
      onMessage: (channel, message) => this.#onMessage(channel, message),
    });
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS);
  }

  deliverTo(delivery: LocalDelivery): void {
    this.#delivery = delivery;
  }

  registerMetrics(registry: Registry): void {
    registerClusterMetrics(registry);
  }

  get nodeId(): number {
    return this.#ids.nodeId;
  }

  /** A cluster-unique sender id (node id in the high bits). */
  allocatePeerId(): number {
    this.#idsIssued = true;
    return this.#ids.allocate();
  }

  /** Participants on other relays, for a newcomer's `welcome`. */
  remotePeers(roomName: string): PeerInfo[] {
    return this.#tracked.get(roomName)?.remote.peers() ?? [];
  }

  /** Audio tracks of senders on other relays, replayed to a newcomer after its `welcome`. */
  remoteAudioTracks(roomName: string): AudioTrackMessage[] {
    return this.#tracked.get(roomName)?.remote.audioTracks() ?? [];
  }

  /**
   * Before upgrading a join to a room: starts following it and waits (briefly) for the other
   * relays' rosters, so that the newcomer's `welcome` already lists their peers.
   */
  async prepareRoom(name: string): Promise<void> {
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
    this.#publishRoster(tracked, rosterPeers(room));
  }

  /** A local participant announced its layers or audio track: republish the roster. */
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

  /**
   * Hot path, called only when room.remoteNodes > 0: one PUBLISH of the stamped frame, whatever
   * the number of relays and receivers behind it.
   */
  publishFrame(room: Room, message: Uint8Array): void {
    const tracked = this.#tracked.get(room.name);
    if (!tracked || !this.#link.up || this.#link.backlogged()) {
      clusterStats.framesUnsent++;
      return;
    }
    clusterStats.framesSent++;
    clusterStats.bytesSent += message.byteLength;
    this.#link.commands.publish(tracked.frames, message as Buffer).catch(ignore);
  }

  /** Leaves the cluster: empty rosters for rooms still tracked, node key removed, links closed. */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    if (this.#link.up) {
      for (const tracked of this.#tracked.values()) this.#publishRoster(tracked, []);
      this.#link.commands.eval(RELEASE_SCRIPT, 1, nodeKey(this.nodeId), this.#token).catch(ignore);
    }
    await this.#link.close();
    clusterStats.linkUp = 0;
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
    if (this.#link.up) tracked.ready = this.#follow(tracked);
    return tracked;
  }

  /** Stops following a room no one here is in: the others hear an empty roster from us. */
  #untrack(tracked: TrackedRoom): void {
    this.#tracked.delete(tracked.name);
    this.#countRemotePeers();
    if (!this.#link.up) return;
    this.#publishRoster(tracked, []);
    this.#link.commands.hdel(tracked.key, String(this.nodeId)).catch(ignore);
    this.#link.subscriber.unsubscribe(tracked.frames, tracked.control).catch(ignore);
  }

  #publishRoster(tracked: TrackedRoom, peers: RosterPeer[]): void {
    if (!this.#link.up || !this.#claimed) return; // #resync publishes everything when back
    const text = encodeRoster({ node: this.nodeId, version: this.#versions.next(), peers });
    const pipeline = this.#link.commands.pipeline();
    if (peers.length > 0) {
      pipeline.hset(tracked.key, String(this.nodeId), text).pexpire(tracked.key, ROOM_TTL_MS);
    }
    pipeline.publish(tracked.control, text);
    pipeline.exec().catch(ignore);
  }

  /** Subscribe to a room's channels, then read the rosters already there. */
  async #follow(tracked: TrackedRoom): Promise<void> {
    try {
      await this.#link.subscriber.subscribe(tracked.frames, tracked.control);
      const stored = await this.#link.commands.hgetall(tracked.key);
      const rosters = Object.values(stored)
        .map(decodeRoster)
        .filter((r): r is Roster => r !== null && r.node !== this.nodeId);
      if (rosters.length === 0) return;
      // A roster left behind by a relay that died is ignored: its node key has expired.
      const alive = await this.#link.commands.mget(...rosters.map((r) => nodeKey(r.node)));
      rosters.forEach((roster, i) => {
        if (alive[i] !== null) this.#applyRoster(tracked, roster);
      });
    } catch (error) {
      log("debug", "cluster_follow_failed", { room: tracked.name, error: String(error) });
    }
  }

  #onMessage(channelBytes: Buffer, message: Buffer): void {
    const channel = parseChannel(channelBytes.toString("latin1"));
    const tracked = channel && this.#tracked.get(channel.room);
    if (!channel || !tracked) return; // a room we just left: its last messages
    if (channel.kind === "frames") {
      // Our own frames come back from Redis too: the node bits of the sender id tell.
      if (message.byteLength >= HEADER_BYTES && nodeOfPeer(readSenderId(message)) === this.nodeId)
        return;
      if (validateFrame(message, this.maxFrameBytes) !== null) {
        clusterStats.malformed++;
        return;
      }
      const room = this.rooms.rooms.get(channel.room);
      if (!room) return;
      clusterStats.framesReceived++;
      clusterStats.bytesReceived += message.byteLength;
      this.#delivery?.frame(room, message);
      return;
    }
    const roster = decodeRoster(message.toString("utf8"));
    if (!roster) {
      clusterStats.malformed++;
      return;
    }
    if (roster.node !== this.nodeId) this.#applyRoster(tracked, roster);
  }

  #applyRoster(tracked: TrackedRoom, roster: Roster): void {
    // A late reply for a room that was left (and maybe re-entered) since: not ours to apply.
    if (this.#tracked.get(tracked.name) !== tracked) return;
    this.#announce(tracked, tracked.remote.apply(roster));
  }

  /** Tells local participants who came and went elsewhere, and updates the room's interest. */
  #announce(tracked: TrackedRoom, change: PresenceChange | null): void {
    const room = this.rooms.rooms.get(tracked.name);
    if (room) room.remoteNodes = tracked.remote.remoteNodes;
    if (!change) return;
    this.#countRemotePeers();
    if (!room) return;
    const delivery = this.#delivery;
    if (!delivery) return;
    for (const id of change.left) {
      delivery.presence(room, encodeControl({ type: "leave", id }));
      delivery.senderLeft(room, id);
    }
    for (const peer of change.joined) {
      delivery.presence(room, encodeControl({ type: "join", peer }));
      if (peer.layers) delivery.senderLayers(room, peer.id, peer.layers.length);
    }
    for (const { id, layers } of change.relayered) {
      if (!layers) continue;
      delivery.presence(room, encodeControl({ type: "layers", id, layers }));
      delivery.senderLayers(room, id, layers.length);
    }
    // After the joins, so receivers know the sender before they learn its track.
    for (const track of change.retracked) delivery.audioTrack(room, track);
  }

  #countRemotePeers(): void {
    let count = 0;
    for (const tracked of this.#tracked.values()) count += tracked.remote.peers().length;
    clusterStats.remotePeers = count;
  }

  /** On every (re)connection: claim the node id, then resubscribe and republish everything. */
  async #resync(): Promise<void> {
    try {
      await this.#claimNodeId();
      this.#sweepFrom = Date.now() + (await this.#graceAfterConnect());
      clusterStats.linkUp = 1;
      for (const tracked of this.#tracked.values()) {
        const room = this.rooms.rooms.get(tracked.name);
        this.#publishRoster(tracked, room ? rosterPeers(room) : []);
        tracked.ready = this.#follow(tracked);
      }
    } catch (error) {
      log("warn", "cluster_resync_failed", { error: String(error) });
    }
  }

  /**
   * A Redis that (re)started recently holds no node keys until every relay has reconnected:
   * give them SWEEP_GRACE_MS of its uptime. A Redis up for longer (we only lost our own
   * connection) has them all, so there is nothing to wait for.
   */
  async #graceAfterConnect(): Promise<number> {
    const info = await this.#link.commands.info("server");
    const uptimeMs = Number(/uptime_in_seconds:(\d+)/.exec(info)?.[1] ?? 0) * 1000;
    return Math.max(0, SWEEP_GRACE_MS - uptimeMs);
  }

  async #claimNodeId(): Promise<void> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      if (await this.#claim()) {
        if (!this.#claimed) log("notice", "cluster_joined", { node: this.nodeId });
        this.#claimed = true;
        return;
      }
      // Held by another live relay: take another id. Peers that already got ids under the old
      // one keep them, so say so loudly (only possible when Redis was unreachable at start).
      const taken = this.nodeId;
      this.#ids.nodeId = randomNodeId();
      clusterStats.nodeId = this.#ids.nodeId;
      log(this.#idsIssued ? "error" : "info", "cluster_node_id_taken", {
        taken,
        next: this.nodeId,
        peersWithOldId: this.#idsIssued,
      });
    }
    throw new Error(`no free node id after ${CLAIM_ATTEMPTS} attempts`);
  }

  async #claim(): Promise<boolean> {
    const result = await this.#link.commands.eval(
      CLAIM_SCRIPT,
      1,
      nodeKey(this.nodeId),
      this.#token,
      NODE_TTL_MS,
    );
    return result === 1;
  }

  /** Every HEARTBEAT_MS: keep our node key alive, refresh rosters now and then, sweep the dead. */
  async #beat(): Promise<void> {
    if (!this.#link.up || !this.#claimed) return;
    try {
      if (!(await this.#claim())) {
        log("error", "cluster_node_id_lost", { node: this.nodeId });
        await this.#claimNodeId();
      }
      if (++this.#beats % ROSTER_REFRESH_BEATS === 0) {
        for (const tracked of [...this.#tracked.values()]) {
          const room = this.rooms.rooms.get(tracked.name);
          if (!room && Date.now() - tracked.since > UNJOINED_ROOM_MS) this.#untrack(tracked);
          if (room && room.size > 0) {
            const text = encodeRoster({
              node: this.nodeId,
              version: this.#versions.next(),
              peers: rosterPeers(room),
            });
            this.#link.commands
              .pipeline()
              .hset(tracked.key, String(this.nodeId), text)
              .pexpire(tracked.key, ROOM_TTL_MS)
              .exec()
              .catch(ignore);
          }
        }
      }
      if (Date.now() >= this.#sweepFrom) await this.#sweep();
    } catch (error) {
      log("debug", "cluster_heartbeat_failed", { error: String(error) });
    }
  }

  /** Drops the peers of every relay whose node key has expired. */
  async #sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const nodes = new Set<number>();
      for (const tracked of this.#tracked.values()) {
        for (const node of tracked.remote.nodes()) nodes.add(node);
      }
      if (nodes.size === 0) return;
      const list = [...nodes];
      const alive = await this.#link.commands.mget(...list.map(nodeKey));
      list.forEach((node, i) => {
        if (alive[i] === null) this.#expire(node);
      });
    } finally {
      this.#sweeping = false;
    }
  }

  #expire(node: number): void {
    let removed = 0;
    for (const tracked of this.#tracked.values()) {
      const left = tracked.remote.dropNode(node);
      if (left.length === 0) continue;
      removed += left.length;
      this.#announce(tracked, { joined: [], left, relayered: [], retracked: [] });
      this.#link.commands.hdel(tracked.key, String(node)).catch(ignore);
    }
    // A relay that only left empty rosters behind (it shut down cleanly) needs no warning.
    if (removed === 0) return;
    clusterStats.nodesExpired++;
    log("warn", "cluster_node_expired", { node, peersRemoved: removed });
  }
}

function ignore(): void {
  // Fire-and-forget Redis writes: a failure means the link is down, and #resync redoes them.
}
