// Bun's native WebSocket handlers: admission and presence on open/close, frames to the Fanout.
// These are handed to Bun directly (not through Elysia's .ws()), so a message costs no promise and
// no wrapper object (README, Architecture, has the measurement; bench/processes/relay-paths/ reproduces it).
import type { Server, WebSocketHandler } from "bun";
import { encodeControl, PROTOCOL_VERSION, type RelayLimits } from "../protocol/index.ts";
import type { RoomBus } from "./cluster/room-bus.ts";
import type { RelayConfig } from "./config.ts";
import { socketBackpressureLimit } from "./delivery/audio-fanout.ts";
import type { Fanout } from "./delivery/fanout.ts";
import { log } from "./log.ts";
import { type Peer, type PeerSocket, peerInfo } from "./peer.ts";
import { closeWith, Refusals } from "./refusals.ts";
import type { JoinRefusal, RoomRegistry } from "./rooms.ts";
import { isShare, linkShare, takesShares, unlinkOnClose, visiblePeers } from "./screen-shares.ts";
import { createInboundGate } from "./security/rate-limit.ts";
import { countRefusedJoin, stats } from "./stats.ts";
import { leaveReason, relayEvents } from "./webhooks/events.ts";

const JOIN_REFUSALS = {
  room_full: Refusals.roomFull,
  too_many_rooms: Refusals.tooManyRooms,
} as const satisfies Record<JoinRefusal, unknown>;

/** Largest message the WebSocket layer accepts: a max-size frame as base64 text, plus slack. */
export function maxMessageBytes(config: RelayConfig): number {
  return Math.ceil(config.maxFrameBytes / 3) * 4 + 1024;
}

export function relayLimits(config: RelayConfig): RelayLimits {
  return {
    maxFrameBytes: config.maxFrameBytes,
    maxMessageBytes: maxMessageBytes(config),
    maxPeersPerRoom: config.maxPeersPerRoom,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
  };
}

export function createSocketHandlers(
  config: RelayConfig,
  rooms: RoomRegistry,
  bus: RoomBus,
  fanout: Fanout,
  getServer: () => Server<Peer>,
): WebSocketHandler<Peer> {
  const limits = relayLimits(config);
  const gate = createInboundGate(
    {
      ...config.security,
      // A receiver acks each frame of each other sender: at most (peers - 1) × the frame limit.
      maxAcksPerSecond:
        config.security.maxFramesPerSecond * Math.max(1, config.maxPeersPerRoom - 1),
    },
    limits.maxMessageBytes,
  );

  function admit(ws: PeerSocket): void {
    const room = rooms.roomFor(ws.data.roomName);
    if (typeof room === "string") {
      countRefusedJoin(room);
      log("warn", "join_refused", { room: ws.data.roomName, name: ws.data.name, reason: room });
      relayEvents.emit({
        type: "participant_refused",
        room: ws.data.roomName,
        name: ws.data.name,
        reason: room,
      });
      closeWith(ws, JOIN_REFUSALS[room]);
      return;
    }
    if (ws.data.screenClaim !== null || ws.data.badSource) {
      const refused = linkShare(ws, room);
      if (refused) {
        countRefusedJoin("share_refused");
        log("warn", "join_refused", { room: room.name, name: ws.data.name, reason: "share" });
        rooms.forgetIfEmpty(room);
        closeWith(ws, refused);
        return;
      }
    }
    const peersBefore = room.peerList();
    rooms.add(ws, room);
    stats.connectionsOpened++;
    if (isShare(ws.data)) {
      // A share only sends (relay/screen-shares.ts): no topics, nobody listed in its welcome.
      ws.send(
        encodeControl({
          type: "welcome",
          protocol: PROTOCOL_VERSION,
          id: ws.data.id,
          name: ws.data.name,
          room: room.name,
          peers: [],
          limits,
        }),
      );
    } else if (ws.data.legacy) {
      ws.subscribe(room.legacyTopic);
    } else {
      // Presence for every v1 peer; video on the room topic unless it acks (then per-sender
      // topics, relay/delivery/pacing/ack-pacing.ts); audio on its own topic unless it asked for none.
      ws.subscribe(room.presenceTopic);
      if (!ws.data.acks) ws.subscribe(room.binaryTopic);
      if (ws.data.audio) ws.subscribe(room.audioTopic);
      if (takesShares(ws.data)) ws.subscribe(room.sharePresenceTopic);
      ws.send(
        encodeControl({
          type: "welcome",
          protocol: PROTOCOL_VERSION,
          id: ws.data.id,
          name: ws.data.name,
          room: room.name,
          peers: visiblePeers([...peersBefore, ...bus.remotePeers(room.name)], ws.data),
          limits,
          ...(ws.data.acks ? { ackWindow: config.ackWindow } : {}),
          ...(ws.data.layered ? { layers: true } : {}),
          ...(ws.data.canPublish ? {} : { viewOnly: true }),
          // Host controls (relay/moderation/): nobody moderates on a relay without tokens.
          moderation: ws.data.canModerate
            ? "moderator"
            : config.security.authSecret
              ? "member"
              : "off",
          ...(ws.data.joinedLocked ? { locked: true } : {}),
          ...(takesShares(ws.data) && ws.data.canPublish ? { shareKey: ws.data.shareKey } : {}),
        }),
      );
      fanout.moderation?.joined(ws, room);
      fanout.audio.replayTracks(ws, bus.remoteAudioTracks(room.name));
      fanout.pacing.join(ws);
      fanout.h264.join(ws);
    }
    // Presence goes to new-protocol peers only (old clients would try to show it as a JPEG);
    // ws.publish skips the newcomer, who learnt everything from its welcome.
    const joined = encodeControl({ type: "join", peer: peerInfo(ws.data) });
    // A share's presence reaches only receivers that take shares.
    if (isShare(ws.data)) getServer().publish(room.sharePresenceTopic, joined);
    else ws.publish(room.presenceTopic, joined);
    bus.localJoined(room);
    fanout.codecsChanged(room);
    if (room.size === 1) relayEvents.emit({ type: "room_started", room: room.name });
    relayEvents.emit({
      type: "participant_joined",
      room: room.name,
      id: ws.data.id,
      name: ws.data.name,
    });
    log("info", "join", {
      room: room.name,
      id: ws.data.id,
      name: ws.data.name,
      legacy: ws.data.legacy,
      address: ws.data.address,
    });
  }

  return {
    maxPayloadLength: maxMessageBytes(config),
    // Audio may queue past the video limit (relay/delivery/audio-fanout.ts): video goes first.
    backpressureLimit: socketBackpressureLimit(config.backpressureLimitBytes),
    closeOnBackpressureLimit: false,
    idleTimeout: config.idleTimeoutSeconds,
    sendPings: true,
    perMessageDeflate: false,
    publishToSelf: false,
    open(ws) {
      admit(ws);
    },
    drain(ws) {
      fanout.parking.onDrain(ws);
    },
    message(ws, message) {
      // The gate (rate limits, view-only) decides first; it never allocates.
      if (typeof message === "string") {
        if (gate.text(ws, message)) fanout.onText(ws, message);
      } else if (gate.binary(ws, message)) fanout.onBinary(ws, message);
    },
    close(ws, code, reason) {
      const room = ws.data.room;
      if (!room || !rooms.remove(ws)) return;
      stats.connectionsClosed++;
      fanout.pacing.leave(ws);
      fanout.h264.leave(ws);
      fanout.keyframes.forgetSender(room, ws.data.id);
      unlinkOnClose(ws, room);
      const left = encodeControl({ type: "leave", id: ws.data.id });
      getServer().publish(isShare(ws.data) ? room.sharePresenceTopic : room.presenceTopic, left);
      bus.localLeft(room);
      fanout.codecsChanged(room);
      fanout.moderation?.left(ws, room);
      const { id, name } = ws.data;
      relayEvents.emit({
        type: "participant_left",
        room: room.name,
        id,
        name,
        reason: leaveReason(code),
      });
      if (room.size === 0) fanout.forgetRoom(room);
      if (room.size === 0) relayEvents.emit({ type: "room_finished", room: room.name });
      log("info", "leave", {
        room: room.name,
        id: ws.data.id,
        name: ws.data.name,
        code,
        reason: reason || undefined,
        seconds: Math.round((Date.now() - ws.data.joinedAt) / 100) / 10,
        dropped: ws.data.framesDropped,
        rejected: ws.data.rejected,
      });
    },
  };
}
