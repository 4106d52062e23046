// One relay's membership of a cluster (issue 6), as the RoomBus the relay talks to. Three jobs,
// one file each, sorting together: the node lease and its heartbeat (redis-bus-node.ts), room
// tracking and rosters (redis-bus-rooms.ts), the frame channel (redis-bus-frames.ts). Frames go
// to the bus only while another relay has someone in the room (Room.remoteNodes > 0), once per
// frame. This file wires them to the Redis link and runs the heartbeat.
import type { Registry } from "prom-client";
import type { AudioTrackMessage, PeerInfo } from "../../protocol/index.ts";
import { log } from "../log.ts";
import { decodeRoomEvent, type RoomEvent } from "../moderation/room-events.ts";
import type { Room, RoomRegistry } from "../rooms.ts";
import { parseChannel } from "./bus-names.ts";
import { HEARTBEAT_MS, ROSTER_REFRESH_BEATS } from "./cluster-config.ts";
import { clusterStats, registerClusterMetrics } from "./cluster-metrics.ts";
import { RedisFrameChannel } from "./redis-bus-frames.ts";
import { RedisNodeLease } from "./redis-bus-node.ts";
import { RedisRoomTracker } from "./redis-bus-rooms.ts";
import { RedisLink } from "./redis-link.ts";
import { RedisModerationStore } from "./redis-moderation-store.ts";
import type { LocalDelivery, RoomBus } from "./room-bus.ts";

/** How a room event starts on the control channel (rosters start with {"type":"roster"). */
const ROOM_EVENT_START = Buffer.from('{"type":"room_event",');

export class RedisBus implements RoomBus {
  readonly #link: RedisLink;
  readonly #lease: RedisNodeLease;
  readonly #rooms: RedisRoomTracker;
  readonly #frames: RedisFrameChannel;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  /** Set at start by relay/server.ts, before the relay listens. */
  #delivery: LocalDelivery | null = null;
  /** No relay is declared dead before this time (see SWEEP_GRACE_MS). */
  #sweepFrom = 0;
  #beats = 0;
  #sweeping = false;
  readonly moderation: RedisModerationStore;
  #onRoomEvent: ((roomName: string, event: RoomEvent, node: number) => void) | null = null;

  constructor(url: string, rooms: RoomRegistry, maxFrameBytes: number) {
    this.#link = new RedisLink(url, {
      onUp: () => void this.#resync(),
      onDown: () => {
        clusterStats.linkUp = 0;
      },
      onMessage: (channel, message) => this.#onMessage(channel, message),
    });
    const delivery = () => this.#delivery;
    this.#lease = new RedisNodeLease(this.#link);
    this.#rooms = new RedisRoomTracker(this.#link, this.#lease, rooms, delivery);
    this.#frames = new RedisFrameChannel(
      this.#link,
      this.#lease,
      this.#rooms,
      rooms,
      maxFrameBytes,
      delivery,
    );
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.moderation = new RedisModerationStore(this.#link);
  }

  /** Chat and moderation for the room's other relays: one PUBLISH on its control channel. */
  publishRoomEvent(roomName: string, event: RoomEvent): void {
    const tracked = this.#rooms.get(roomName);
    if (!tracked || !this.#link.up || !this.#lease.claimed) return;
    const text = JSON.stringify({ type: "room_event", node: this.#lease.nodeId, event });
    this.#link.commands.publish(tracked.control, text).catch(() => {});
  }

  onRoomEvent(handler: (roomName: string, event: RoomEvent, node: number) => void): void {
    this.#onRoomEvent = handler;
  }

  /** A room event from another relay (ours come back too: skipped). */
  #receiveRoomEvent(roomName: string, message: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(message.toString("utf8"));
    } catch {
      value = null;
    }
    const record = value as Record<string, unknown> | null;
    const event = record && typeof record === "object" ? decodeRoomEvent(record) : null;
    if (!event || !record) {
      clusterStats.malformed++;
      return;
    }
    const node = record.node;
    if (typeof node !== "number" || node === this.#lease.nodeId) return;
    this.#onRoomEvent?.(roomName, event, node);
  }

  deliverTo(delivery: LocalDelivery): void {
    this.#delivery = delivery;
  }

  registerMetrics(registry: Registry): void {
    registerClusterMetrics(registry);
  }

  counts(): Record<string, number> {
    return this.#rooms.counts();
  }

  get nodeId(): number {
    return this.#lease.nodeId;
  }

  /** A cluster-unique sender id (node id in the high bits). */
  allocatePeerId(): number {
    return this.#lease.allocatePeerId();
  }

  /** Participants on other relays, for a newcomer's `welcome`. */
  remotePeers(roomName: string): PeerInfo[] {
    return this.#rooms.remotePeers(roomName);
  }

  /** Audio tracks of senders on other relays, replayed to a newcomer after its `welcome`. */
  remoteAudioTracks(roomName: string): AudioTrackMessage[] {
    return this.#rooms.remoteAudioTracks(roomName);
  }

  /**
   * Before upgrading a join to a room: starts following it and waits (briefly) for the other
   * relays' rosters, so that the newcomer's `welcome` already lists their peers.
   */
  prepareRoom(name: string): Promise<void> {
    return this.#rooms.prepare(name);
  }

  localJoined(room: Room): void {
    this.#rooms.localJoined(room);
  }

  /** A local participant announced its layers or audio track: republish the roster. */
  localUpdated(room: Room): void {
    this.#rooms.localUpdated(room);
  }

  localLeft(room: Room): void {
    this.#rooms.localLeft(room);
  }

  /**
   * Hot path, called only when room.remoteNodes > 0: one PUBLISH of the stamped frame, whatever
   * the number of relays and receivers behind it.
   */
  publishFrame(room: Room, message: Uint8Array): void {
    this.#frames.publish(room, message);
  }

  /** Leaves the cluster: empty rosters for rooms still tracked, node key removed, links closed. */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    if (this.#link.up) {
      this.#rooms.leaveAll();
      this.#lease.release();
    }
    await this.#link.close();
    clusterStats.linkUp = 0;
  }

  #onMessage(channelBytes: Buffer, message: Buffer): void {
    const channel = parseChannel(channelBytes.toString("latin1"));
    const tracked = channel && this.#rooms.get(channel.room);
    if (!channel || !tracked) return; // a room we just left: its last messages
    if (channel.kind === "frames") this.#frames.receive(channel.room, message);
    else if (message.subarray(0, ROOM_EVENT_START.length).equals(ROOM_EVENT_START)) {
      this.#receiveRoomEvent(channel.room, message);
    } else this.#rooms.receiveRoster(tracked, message);
  }

  /** On every (re)connection: claim the node id, then resubscribe and republish everything. */
  async #resync(): Promise<void> {
    try {
      await this.#lease.claimNodeId();
      this.#sweepFrom = Date.now() + (await this.#lease.graceAfterConnect());
      clusterStats.linkUp = 1;
      this.#rooms.resync();
    } catch (error) {
      log("warn", "cluster_resync_failed", { error: String(error) });
    }
  }

  /** Every HEARTBEAT_MS: keep our node key alive, refresh rosters now and then, sweep the dead. */
  async #beat(): Promise<void> {
    if (!this.#link.up || !this.#lease.claimed) return;
    try {
      await this.#lease.renew();
      if (++this.#beats % ROSTER_REFRESH_BEATS === 0) this.#rooms.refreshRosters();
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
      const nodes = [...this.#rooms.remoteNodes()];
      if (nodes.length === 0) return;
      const alive = await this.#lease.alive(nodes);
      nodes.forEach((node, i) => {
        if (!alive[i]) this.#rooms.expire(node);
      });
    } finally {
      this.#sweeping = false;
    }
  }
}
