// How a relay shares its rooms with other relays, behind one interface chosen once at start
// (relay/server.ts), as livekit's pkg/routing picks a local or a Redis router and centrifuge
// defaults to its memory broker: a lone relay gets LocalBus (does nothing), a cluster RedisBus.
import type { Registry } from "prom-client";
import type { AudioTrackMessage, PeerInfo } from "../../protocol/index.ts";
import type { ModerationStore } from "../moderation/moderation-store.ts";
import type { RoomEvent } from "../moderation/room-events.ts";
import type { Room } from "../rooms.ts";

/** How frames and presence from other relays reach this relay's participants. */
export interface LocalDelivery {
  /**
   * Presence JSON (join/leave) for every v1 participant of the room; a screen share's
   * (`share`) only for those that take shares (relay/screen-shares.ts).
   */
  presence(room: Room, text: string, share?: boolean): void;
  /** A stamped v1 frame from another relay, for every local receiver in its format. */
  frame(room: Room, message: Buffer): void;
  /** A sender on another relay now sends `count` layers (docs/PROTOCOL.md, Layers). */
  senderLayers(room: Room, id: number, count: number): void;
  /** A sender on another relay announced (or changed, e.g. muted) its audio track. */
  audioTrack(room: Room, track: AudioTrackMessage): void;
  /** A sender on another relay is gone (after its leave was announced): drop its state. */
  senderLeft(room: Room, id: number): void;
}

export interface RoomBus {
  /** A sender id unique across every relay on the bus; never 0 ("unstamped"). */
  allocatePeerId(): number;
  /** Before upgrading a join: learn who is in the room on other relays, for the welcome. */
  prepareRoom(name: string): Promise<void>;
  /** Participants of the room on other relays. */
  remotePeers(roomName: string): PeerInfo[];
  /** Audio tracks of senders on other relays, replayed to a newcomer after its welcome. */
  remoteAudioTracks(roomName: string): AudioTrackMessage[];
  /** After a local participant was admitted to `room`. */
  localJoined(room: Room): void;
  /** After a local participant announced its layers or its audio track (roster changed). */
  localUpdated(room: Room): void;
  /** After a local participant left `room` (already removed from it). */
  localLeft(room: Room): void;
  /**
   * Hot path, called only while room.remoteNodes > 0 (which only a bus with other relays sets):
   * a stamped frame for the room's members on other relays.
   */
  publishFrame(room: Room, message: Uint8Array): void;
  /** Where frames and presence from other relays go; set once at start. */
  deliverTo(delivery: LocalDelivery): void;
  /** Adds the bus's own series to /metrics. */
  registerMetrics(registry: Registry): void;
  /** Sizes of the bus's own maps and sets (GET /debug/counts); a lone relay's bus has none. */
  counts?(): Record<string, number>;
  /** Leaves the bus (after local participants' leaves were announced). */
  stop(): Promise<void>;
  /** The deny list and room locks, the same for every relay on the bus (relay/moderation/). */
  readonly moderation: ModerationStore;
  /** Chat and moderation for the room's participants on other relays (none: nothing to do). */
  publishRoomEvent(roomName: string, event: RoomEvent): void;
  /** Where room events from other relays go (`node`: the relay that sent it); set once at start. */
  onRoomEvent(handler: (roomName: string, event: RoomEvent, node: number) => void): void;
  /** This relay's node id on the bus (0 for a lone relay). */
  readonly nodeId: number;
}
