// Raised hands, recording announcements and host controls for the relay's rooms (chat: its own
// file, room-chat.ts): each client message of protocol/room-control.ts comes here, moderation is
// enforced here (the
// fan-out drops stopped media, sockets of removed participants close, joins to locked rooms and
// of denied tokens are refused), and the same happens for events from other relays.
import type { Server } from "bun";
import {
  type ChatSend,
  encodeControl,
  type HandSend,
  type MediaKind,
  type ModerateSend,
  type ModerationNotice,
  type PeerInfo,
  type RecordingSend,
} from "../../protocol/index.ts";
import type { RoomBus } from "../cluster/room-bus.ts";
import { log } from "../log.ts";
import { type PeerSocket, peerInfo } from "../peer.ts";
import { closeWith, Refusals, refuseMessage } from "../refusals.ts";
import type { Room, RoomRegistry } from "../rooms.ts";
import { relayEvents } from "../webhooks/events.ts";
import { MediaBit } from "./media-stop.ts";
import { countAction } from "./moderation-metrics.ts";
import { RoomChat } from "./room-chat.ts";
import type { RoomAction, RoomEvent, TargetAction } from "./room-events.ts";

/** Why a join is refused by moderation, as the upgrade's answer says it. */
export type ModerationRefusal = "removed" | "room_locked";

export const MODERATION_REFUSALS: Record<ModerationRefusal, { status: number; message: string }> = {
  removed: { status: 403, message: "you were removed from this room by a moderator" },
  room_locked: {
    status: 403,
    message: "the room is locked by a moderator: only moderators may join",
  },
};

/** What the admin HTTP API can ask (relay/http/admin-moderation.ts). */
export type AdminResult = "ok" | "no_participant";

export class RoomModeration {
  #server: Server<unknown> | null = null;
  /** Chat and its history (room-chat.ts). */
  readonly #chat: RoomChat;
  /** The last hand's time: each hand gets a later one, so two in one millisecond keep order. */
  #lastHand = 0;

  constructor(
    private readonly rooms: RoomRegistry,
    private readonly bus: RoomBus,
  ) {
    this.#chat = new RoomChat(rooms, bus, (room, text) => this.#publish(room, text));
    bus.onRoomEvent((room, event, node) => this.#remoteEvent(room, event, node));
  }

  /** Before a join: the room's chat history from other relays, when none is here (room-chat.ts). */
  prepareJoin(roomName: string): Promise<void> {
    return this.#chat.prepareJoin(roomName);
  }

  /** What chat and host controls hold, for GET /debug/counts. */
  counts(): Record<string, number> {
    return { ...this.bus.moderation.counts(), chatPendingHistory: this.#chat.pendingHistoryRooms };
  }

  attach(server: Server<unknown>): void {
    this.#server = server;
  }

  /** Before the upgrade: a denied token or a locked room (for all but moderators) is refused. */
  async joinRefusal(
    room: string,
    admission: { canModerate: boolean; token: { id: string } | null },
  ): Promise<ModerationRefusal | null> {
    const store = this.bus.moderation;
    if (admission.token && (await store.isDenied(admission.token.id))) return "removed";
    if (admission.canModerate || !(await store.isLocked(room))) return null;
    // Someone who was in when the room was locked may come back (its link dropped).
    if (admission.token && (await store.isSeated(room, admission.token.id))) return null;
    return "room_locked";
  }

  /** Whether the room is locked (for the welcome of a moderator who joins it anyway). */
  isLocked(room: string): Promise<boolean> {
    return this.bus.moderation.isLocked(room);
  }

  /** After the welcome: the room's chat history, oldest first. */
  joined(ws: PeerSocket, room: Room): void {
    this.#chat.joined(ws, room);
  }

  /** After a participant left: a recording it announced is over; an empty room is unlocked. */
  left(ws: PeerSocket, room: Room): void {
    if (ws.data.recording) {
      ws.data.recording = false;
      relayEvents.emit({
        type: "recording_stopped",
        room: room.name,
        id: ws.data.id,
        name: ws.data.name,
      });
    }
    if (room.size === 0 && room.remoteNodes === 0) this.bus.moderation.setLocked(room.name, false);
  }

  onChat(ws: PeerSocket, message: ChatSend): void {
    this.#chat.onChat(ws, message);
  }

  onHand(ws: PeerSocket, message: HandSend): void {
    const room = ws.data.room;
    if (!room) return;
    const raisedAt = message.raised ? (ws.data.handRaisedAt ?? this.#handTime()) : undefined;
    if (raisedAt === ws.data.handRaisedAt) return;
    ws.data.handRaisedAt = raisedAt;
    this.#updated(room, ws);
  }

  #handTime(): number {
    this.#lastHand = Math.max(Date.now(), this.#lastHand + 1);
    return this.#lastHand;
  }

  onRecording(ws: PeerSocket, message: RecordingSend): void {
    const room = ws.data.room;
    if (!room || ws.data.recording === message.active) return;
    ws.data.recording = message.active;
    relayEvents.emit({
      type: message.active ? "recording_started" : "recording_stopped",
      room: room.name,
      id: ws.data.id,
      name: ws.data.name,
    });
    log("info", message.active ? "recording_started" : "recording_stopped", {
      room: room.name,
      id: ws.data.id,
      name: ws.data.name,
    });
    this.#updated(room, ws);
  }

  onModerate(ws: PeerSocket, message: ModerateSend): void {
    const room = ws.data.room;
    if (!room) return;
    if (!ws.data.canModerate) {
      refuseMessage(ws, Refusals.notModerator);
      return;
    }
    const by = ws.data.name;
    log("info", "moderation", {
      room: room.name,
      by: ws.data.id,
      action: message.action,
      target: message.target,
      media: message.media,
    });
    if (message.target !== undefined) {
      const done = this.#target(
        room,
        message.target,
        message.action as TargetAction,
        message.media,
        by,
      );
      if (!done) refuseMessage(ws, Refusals.badTarget);
      return;
    }
    this.#roomAction(room.name, message.action as RoomAction, by);
  }

  /** Admin API: everyone in the room, here and on other relays (null: nobody, anywhere). */
  participants(roomName: string): PeerInfo[] | null {
    const room = this.rooms.rooms.get(roomName);
    const remote = this.bus.remotePeers(roomName);
    if (!room && remote.length === 0) return null;
    return [...(room?.peerList() ?? []), ...remote];
  }

  /** Admin API: an action on one participant, wherever it is. */
  adminTarget(roomName: string, id: number, action: TargetAction, media?: MediaKind): AdminResult {
    const room = this.rooms.rooms.get(roomName);
    if (room) return this.#target(room, id, action, media, "admin") ? "ok" : "no_participant";
    // Only on other relays (the room is tracked while we answer for it): they act on it.
    if (!this.bus.remotePeers(roomName).some((peer) => peer.id === id)) return "no_participant";
    const event: RoomEvent = { kind: "target", target: id, action, by: "admin" };
    if (media) event.media = media;
    this.bus.publishRoomEvent(roomName, event);
    return "ok";
  }

  /** Admin API: lock, unlock, lower_hands or end, as a moderator in the room would. */
  adminRoom(roomName: string, action: RoomAction): void {
    this.#roomAction(roomName, action, "admin");
  }

  #roomAction(roomName: string, action: RoomAction, by: string): void {
    if (action === "lock" || action === "unlock") {
      this.bus.moderation.setLocked(roomName, action === "lock");
    }
    this.bus.publishRoomEvent(roomName, { kind: "room", action, by });
    this.#applyRoomAction(roomName, action, by);
  }

  #applyRoomAction(roomName: string, action: RoomAction, by: string): void {
    const room = this.rooms.rooms.get(roomName);
    if (!room) return;
    countAction(action);
    if (action === "lock") {
      // Those here now keep their seats: a dropped link may reconnect into the locked room.
      const tokens = [...room.peers.values()].flatMap((peer) =>
        peer.data.token ? [peer.data.token.id] : [],
      );
      this.bus.moderation.seat(roomName, tokens);
    }
    if (action === "end") {
      for (const peer of [...room.peers.values()]) closeWith(peer, Refusals.callEnded);
      return;
    }
    if (action === "lower_hands") {
      for (const peer of room.peers.values()) {
        if (peer.data.handRaisedAt === undefined) continue;
        peer.data.handRaisedAt = undefined;
        this.#updated(room, peer, false);
      }
      this.bus.localUpdated(room);
    }
    this.#publish(room, encodeControl({ type: "moderation", action, by }));
  }

  /**
   * One participant: here, it is acted on; on another relay, that relay is told. False when it
   * is in the room nowhere (a forged or stale id).
   */
  #target(
    room: Room,
    id: number,
    action: TargetAction,
    media: MediaKind | undefined,
    by: string,
  ): boolean {
    const local = room.peers.get(id);
    if (local) {
      this.#applyTarget(room, local, action, media, by);
      return true;
    }
    if (!this.bus.remotePeers(room.name).some((peer) => peer.id === id)) return false;
    this.bus.publishRoomEvent(room.name, {
      kind: "target",
      target: id,
      action,
      by,
      ...(media ? { media } : {}),
    });
    return true;
  }

  #applyTarget(
    room: Room,
    target: PeerSocket,
    action: TargetAction,
    media: MediaKind | undefined,
    by: string,
  ): void {
    countAction(action);
    if (action === "remove") {
      const token = target.data.token;
      if (token) this.bus.moderation.deny(token.id, token.expiresAt);
      log("notice", "participant_removed", {
        room: room.name,
        id: target.data.id,
        name: target.data.name,
        by,
        denied: token !== null,
      });
      closeWith(target, Refusals.removed);
      return;
    }
    const notice: ModerationNotice = { type: "moderation", action, target: target.data.id, by };
    if (media) notice.media = media;
    if ((action === "stop" || action === "allow") && media) {
      const bits =
        action === "stop"
          ? target.data.mediaStopped | MediaBit[media]
          : target.data.mediaStopped & ~MediaBit[media];
      if (bits !== target.data.mediaStopped) {
        target.data.mediaStopped = bits;
        // Its screen share is its own connection: it carries the owner's stops (screen bit).
        if (target.data.shareSocket) target.data.shareSocket.data.mediaStopped = bits;
        this.#updated(room, target);
      }
    }
    if (!target.data.legacy) target.send(encodeControl(notice));
  }

  /** A participant's presence entry changed: everyone here (itself too) and other relays hear. */
  #updated(room: Room, ws: PeerSocket, roster = true): void {
    this.#publish(room, encodeControl({ type: "peer_update", peer: peerInfo(ws.data) }));
    if (roster) this.bus.localUpdated(room);
  }

  /** To every v1 participant of the room here, the sender included (publish from the server). */
  #publish(room: Room, text: string): void {
    this.#server?.publish(room.presenceTopic, text);
  }

  #remoteEvent(roomName: string, event: RoomEvent, node: number): void {
    const room = this.rooms.rooms.get(roomName);
    switch (event.kind) {
      case "history_request":
      case "history":
      case "chat":
        this.#chat.remote(roomName, event, node);
        return;
      case "target": {
        const target = room?.peers.get(event.target);
        if (room && target) this.#applyTarget(room, target, event.action, event.media, event.by);
        return;
      }
      case "room":
        this.#applyRoomAction(roomName, event.action, event.by);
        return;
    }
  }
}
