// Kind 4 (H.264) for receivers that don't ack: one CleanStream per sender in each room
// (clean-stream.ts), for the v1 receivers here that joined with codecs=h264 and without ack=1.
// Acking receivers get kind 4 through their paced lanes (pacing/paced-sender.ts), which keep
// the same rule. Layers other than full size go to acking, layered receivers only, as for JPEG.
import type { PeerSocket } from "../../peer.ts";
import type { Room } from "../../rooms.ts";
import { stats } from "../../stats.ts";
import { h264Topic } from "../../topics.ts";
import { layerStats } from "../pacing/layer-metrics.ts";
import type { Publisher } from "../topic-publisher.ts";
import { CleanStream } from "./clean-stream.ts";
import type { KeyframeRequests } from "./keyframe-requests.ts";

interface RoomH264 {
  readonly receivers: Set<PeerSocket>;
  readonly senders: Map<number, CleanStream>;
}

/** A receiver that gets kind 4 from the room's clean streams (not through ack pacing). */
export function takesCleanStream(ws: PeerSocket): boolean {
  return ws.data.h264 && !ws.data.acks && !ws.data.legacy;
}

export class H264Fanout {
  readonly #rooms = new Map<Room, RoomH264>();

  constructor(
    private readonly socketLimitBytes: number,
    private readonly videoLimitBytes: number,
    private readonly keyframes: KeyframeRequests,
  ) {}

  /** After admission: a receiver of kind 4 waits for each sender's next key frame. */
  join(ws: PeerSocket): void {
    const room = ws.data.room;
    if (!room || !takesCleanStream(ws)) return;
    const state = this.#roomState(room);
    state.receivers.add(ws);
    for (const stream of state.senders.values()) {
      if (stream.senderId !== ws.data.id) stream.add(ws);
    }
  }

  /** The peer left: as a receiver off every stream, as a sender its stream goes. */
  leave(ws: PeerSocket): void {
    const room = ws.data.room;
    const state = room && this.#rooms.get(room);
    if (!room || !state) return;
    this.forgetSender(room, ws.data.id);
    if (state.receivers.delete(ws)) {
      for (const stream of state.senders.values()) stream.remove(ws, false);
    }
    if (state.receivers.size === 0 && state.senders.size === 0) this.#rooms.delete(room);
  }

  /** A sender left (here or on another relay). */
  forgetSender(room: Room, senderId: number): void {
    const state = this.#rooms.get(room);
    const stream = state?.senders.get(senderId);
    if (!state || !stream) return;
    stream.close();
    state.senders.delete(senderId);
    this.keyframes.forgetSender(room, senderId);
  }

  /** A validated, stamped full-size kind 4 frame of `senderId`. */
  onFrame(room: Room, from: PeerSocket | null, via: Publisher, message: Buffer, senderId: number) {
    const state = this.#rooms.get(room);
    if (!state || state.receivers.size === 0) return;
    let stream = state.senders.get(senderId);
    if (!stream) {
      stream = new CleanStream(
        senderId,
        h264Topic(room.name, senderId),
        this.socketLimitBytes,
        this.videoLimitBytes,
        (reason) => this.keyframes.ask(room, senderId, 0, reason),
      );
      state.senders.set(senderId, stream);
      for (const ws of state.receivers) if (ws !== from) stream.add(ws);
    }
    const delivered = stream.publish(message, via, from);
    stats.framesOut += delivered;
    const bytes = delivered * message.byteLength;
    stats.bytesOut += bytes;
    (layerStats.bytesOut[0] as number) += bytes;
  }

  /** Someone here waits for a key frame of this sender's full layer (keyframe-requests.ts). */
  waiting(room: Room, senderId: number): boolean {
    const stream = this.#rooms.get(room)?.senders.get(senderId);
    if (!stream) return false;
    for (const entry of stream.waiting.values()) if (entry.below === 0) return true;
    return false;
  }

  /** Sizes of every map and set kept here (GET /debug/counts). */
  counts(): Record<string, number> {
    const c = {
      h264Rooms: this.#rooms.size,
      h264Receivers: 0,
      h264Streams: 0,
      h264InStep: 0,
      h264Waiting: 0,
    };
    for (const state of this.#rooms.values()) {
      c.h264Receivers += state.receivers.size;
      c.h264Streams += state.senders.size;
      for (const stream of state.senders.values()) {
        c.h264InStep += stream.inStep.size;
        c.h264Waiting += stream.waiting.size;
      }
    }
    return c;
  }

  /** The room emptied here: what is left of it (streams of senders on other relays) goes. */
  forgetRoom(room: Room): void {
    const state = this.#rooms.get(room);
    if (!state) return;
    for (const stream of state.senders.values()) stream.close();
    this.#rooms.delete(room);
  }

  /** Receivers of `senderId`'s clean stream in step now (tests). */
  inStep(room: Room, senderId: number): number {
    return this.#rooms.get(room)?.senders.get(senderId)?.inStep.size ?? 0;
  }

  #roomState(room: Room): RoomH264 {
    let state = this.#rooms.get(room);
    if (!state) {
      state = { receivers: new Set(), senders: new Map() };
      this.#rooms.set(room, state);
    }
    return state;
  }
}
