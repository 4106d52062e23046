// Receiver-paced delivery (docs/PROTOCOL.md, "Acks"): which acking receivers and paced senders
// each room has. Rooms without an acking receiver cost one Map lookup per frame and nothing else;
// their frames go out on the room topic exactly as before.
import type { Server } from "bun";
import {
  ACK_PARAM,
  isAck,
  readCaptureTime,
  readSenderId,
  readSequence,
} from "../../protocol/index.ts";
import type { PeerSocket, Room } from "../rooms.ts";
import { ackStats, forgetRoomStaleness, observeStaleness } from "./ack-metrics.ts";
import { type PacedReceiver, PacedSender, type PacingLimits } from "./paced-sender.ts";

interface RoomPacing {
  readonly receivers: Map<PeerSocket, PacedReceiver>;
  readonly senders: Map<number, PacedSender>;
}

export type AckProblem = "malformed" | "not_enabled";

/** True when a /v1 join URL opts in with ?ack=1. */
export function wantsAcks(requestUrl: string): boolean {
  return new URL(requestUrl).searchParams.get(ACK_PARAM) === "1";
}

/** Topic of one sender's frames for the acking receivers in step with it. */
export function senderTopic(room: Room, senderId: number): string {
  return `s:${room.name}:${senderId}`;
}

export class AckPacing {
  readonly #rooms = new Map<Room, RoomPacing>();
  /** Set by attach() once the relay listens, before any socket can open. */
  #server!: Server<unknown>;

  constructor(private readonly limits: PacingLimits) {}

  attach(server: Server<unknown>): void {
    this.#server = server;
  }

  /** After admission: an acking receiver gets a lane to every sender already paced here. */
  join(ws: PeerSocket): void {
    const room = ws.data.room;
    if (!room || !ws.data.acks || ws.data.legacy) return;
    let pacing = this.#rooms.get(room);
    if (!pacing) {
      pacing = { receivers: new Map(), senders: new Map() };
      this.#rooms.set(room, pacing);
    }
    const receiver: PacedReceiver = { ws, lanes: new Map(), idle: new Set() };
    pacing.receivers.set(ws, receiver);
    for (const sender of pacing.senders.values()) {
      if (sender.id !== ws.data.id) sender.addReceiver(receiver);
    }
  }

  /** The peer left: as a sender its topic goes; as a receiver its lanes go. */
  leave(ws: PeerSocket): void {
    const room = ws.data.room;
    const pacing = room && this.#rooms.get(room);
    if (!room || !pacing) return;
    pacing.senders.get(ws.data.id)?.close();
    pacing.senders.delete(ws.data.id);
    const receiver = pacing.receivers.get(ws);
    if (receiver) {
      // Its socket is closing, which unsubscribes it from every topic by itself.
      for (const lane of receiver.lanes.values()) lane.sender.removeReceiver(lane, false);
      pacing.receivers.delete(ws);
    }
    if (pacing.receivers.size === 0) {
      for (const sender of pacing.senders.values()) sender.close();
      this.#rooms.delete(room);
      forgetRoomStaleness(room.name);
    }
  }

  /**
   * A validated, stamped frame (either protocol; `from` null: from another relay): published to
   * the acking receivers in step with its sender. Returns how many acking receivers it was paced
   * for: the caller leaves them out of the room topic's count.
   */
  onFrame(room: Room, from: PeerSocket | null, message: Buffer): number {
    const pacing = this.#rooms.get(room);
    if (pacing === undefined) return 0;
    const senderId = readSenderId(message);
    let paced = pacing.senders.get(senderId);
    if (paced === undefined) {
      paced = new PacedSender(senderId, senderTopic(room, senderId), this.#server, this.limits);
      pacing.senders.set(senderId, paced);
      for (const receiver of pacing.receivers.values()) {
        if (receiver.ws !== from) paced.addReceiver(receiver);
      }
    }
    paced.publish(message, readSequence(message));
    return paced.lanes.size;
  }

  /** A sender on another relay left the room: its topic goes, as for a local sender's leave. */
  forgetSender(room: Room, senderId: number): void {
    const pacing = this.#rooms.get(room);
    pacing?.senders.get(senderId)?.close();
    pacing?.senders.delete(senderId);
  }

  /** A binary message of kind ack. Returns what is wrong with it, or null once handled. */
  onAck(ws: PeerSocket, message: Buffer): AckProblem | null {
    if (!isAck(message)) return "malformed";
    if (!ws.data.acks) return "not_enabled";
    const room = ws.data.room;
    const receiver = room && this.#rooms.get(room)?.receivers.get(ws);
    if (!room || !receiver) return null;
    ackStats.acks++;
    const now = performance.timeOrigin + performance.now();
    observeStaleness(room.name, now - readCaptureTime(message));
    const lane = receiver.lanes.get(readSenderId(message));
    const seq = readSequence(message);
    if (lane === undefined) ackStats.acksIgnored++;
    else if (!lane.sender.ack(lane, seq)) ackStats.acksIgnored++;
    if (receiver.idle.size > 0) {
      // Lanes whose catch-up frame was dropped: this receiver is reading again, retry them.
      for (const idle of [...receiver.idle]) idle.sender.resume(idle);
    }
    return null;
  }

  /** Acking receivers in a room (for /metrics and tests). */
  ackers(room: Room): number {
    return this.#rooms.get(room)?.receivers.size ?? 0;
  }
}
