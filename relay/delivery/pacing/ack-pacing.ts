// Receiver-paced delivery (docs/PROTOCOL.md, "Acks" and "Layers"): which acking receivers and
// paced senders each room has. Rooms without an acking receiver cost one Map lookup per frame and
// nothing else; their frames go out on the room topic exactly as before.
//
// Each sender has a PacedSender (a Bun topic) per layer it sends. An acking receiver has one lane
// per sender, on one of its layers: always the full layer (0) for a receiver that did not join
// with ?layers=1, else the one its LayerAdapter picks from its request and its link, sampled
// every few hundred ms. A switch moves the lane (and its subscription) to another topic, so
// receivers that keep up still cost no JS per frame.
//
// A sender's H.264 frames (kind 4) have PacedSenders of their own: once a sender sends kind 4,
// the lanes of receivers that declared codecs=h264 move to them (and wait for a key frame);
// the others stay on its JPEG ones. paced-sender.ts keeps every H.264 lane decodable.
import type { Server } from "bun";
import {
  FrameKind,
  frameKind,
  isAck,
  MAX_LAYERS,
  readCaptureTime,
  readLayer,
  readSenderId,
  readSequence,
} from "../../../protocol/index.ts";
import type { PeerSocket } from "../../peer.ts";
import type { Room } from "../../rooms.ts";
import { takesFramesOf } from "../../screen-shares.ts";
import { senderTopic } from "../../topics.ts";
import type { KeyframeRequests } from "../h264/keyframe-requests.ts";
import { ackStats, forgetRoomStaleness, observeStaleness } from "./ack-metrics.ts";
import { DEFAULT_TUNING, LayerAdapter, type LayerDecision } from "./layer-adaptation.ts";
import { layerStats } from "./layer-metrics.ts";
import {
  type KeyWaitReason,
  type Lane,
  type PacedReceiver,
  PacedSender,
  type PacingLimits,
} from "./paced-sender.ts";

/** One sender's layers in a room; `offered`: how many it announced (or sent, if more). */
interface SenderLayers {
  readonly id: number;
  readonly layers: (PacedSender | undefined)[];
  /** Its H.264 layers, once it sends kind 4. */
  readonly h264Layers: (PacedSender | undefined)[];
  /** It has sent kind 4: lanes of receivers that decode H.264 are on h264Layers. */
  h264: boolean;
  offered: number;
}

interface RoomPacing {
  readonly receivers: Map<PeerSocket, PacedReceiver>;
  readonly senders: Map<number, SenderLayers>;
}

export type AckProblem = "malformed" | "not_enabled";
export type LayerRequestProblem = "not_enabled" | "too_many";

/** A receiver remembers at most this many senders' requests (senders may not have joined yet). */
const MAX_REQUESTS = 1024;

export class AckPacing {
  readonly #rooms = new Map<Room, RoomPacing>();
  /** Set by attach() once the relay listens, before any socket can open. */
  #server!: Server<unknown>;
  /** Samples the links of layered receivers; runs only while there is one (an idle relay sleeps). */
  #timer: ReturnType<typeof setInterval> | null = null;
  #layeredReceivers = 0;

  constructor(
    private readonly limits: PacingLimits,
    /** Asked for key frames for waiting H.264 lanes (null: nobody asks, as in unit tests). */
    private readonly keyframes: KeyframeRequests | null = null,
  ) {}

  attach(server: Server<unknown>): void {
    this.#server = server;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
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
    const receiver: PacedReceiver = {
      ws,
      lanes: new Map(),
      idle: new Set(),
      layered: ws.data.layered,
      asked: new Map(),
    };
    pacing.receivers.set(ws, receiver);
    if (receiver.layered && this.#layeredReceivers++ === 0) {
      this.#timer = setInterval(() => this.#sampleLinks(), DEFAULT_TUNING.sampleMs);
      this.#timer.unref?.();
    }
    for (const sender of pacing.senders.values()) {
      if (sender.id !== ws.data.id) this.#addLane(room, sender, receiver);
    }
  }

  /** The peer left: as a sender its topics go; as a receiver its lanes go. */
  leave(ws: PeerSocket): void {
    const room = ws.data.room;
    const pacing = room && this.#rooms.get(room);
    if (!room || !pacing) return;
    this.forgetSender(room, ws.data.id);
    const receiver = pacing.receivers.get(ws);
    if (receiver) {
      // Its socket is closing, which unsubscribes it from every topic by itself.
      for (const lane of receiver.lanes.values()) lane.sender.removeReceiver(lane, false);
      pacing.receivers.delete(ws);
      if (receiver.layered && --this.#layeredReceivers === 0) this.stop();
    }
    if (pacing.receivers.size === 0) {
      for (const sender of pacing.senders.values()) closeAll(sender);
      this.#rooms.delete(room);
      forgetRoomStaleness(room.name);
    }
  }

  /**
   * A validated, stamped frame (either protocol; `from` null: from another relay): published to
   * the acking receivers on its layer. Returns how many acking receivers have a lane to its
   * sender (on any layer): the caller leaves them out of the room topic's count.
   */
  onFrame(room: Room, from: PeerSocket | null, message: Buffer): number {
    const pacing = this.#rooms.get(room);
    if (pacing === undefined) return 0;
    const senderId = readSenderId(message);
    const layer = readLayer(message);
    const h264 = frameKind(message) === FrameKind.VideoH264;
    let sender = pacing.senders.get(senderId);
    if (sender === undefined) {
      sender = {
        id: senderId,
        layers: [],
        h264Layers: [],
        h264,
        offered: announcedLayers(room, senderId),
      };
      pacing.senders.set(senderId, sender);
      for (const receiver of pacing.receivers.values()) {
        if (receiver.ws !== from) this.#addLane(room, sender, receiver);
      }
    }
    // A layer it never announced (or from another relay, where announcements don't reach us).
    if (layer >= sender.offered) this.#offer(room, sender, layer + 1);
    if (h264 && !sender.h264) this.#startH264(room, sender);
    this.#layer(room, sender, layer, h264).publish(message, readSequence(message));
    return laneCount(sender);
  }

  /** A sender announced its layers (`layers` control message). */
  announce(room: Room, senderId: number, count: number): void {
    const sender = this.#rooms.get(room)?.senders.get(senderId);
    if (sender) this.#offer(room, sender, count);
  }

  /** A receiver's `layer_request`: never more than `layer` of `senderId` from now on. */
  request(ws: PeerSocket, senderId: number, layer: number): LayerRequestProblem | null {
    const room = ws.data.room;
    const receiver = room ? this.#rooms.get(room)?.receivers.get(ws) : undefined;
    if (!room || receiver?.layered !== true) return "not_enabled";
    if (!receiver.asked.has(senderId) && receiver.asked.size >= MAX_REQUESTS) return "too_many";
    receiver.asked.set(senderId, layer);
    const lane = receiver.lanes.get(senderId);
    const decision = lane?.adapter?.request(layer, performance.now());
    if (lane && decision) this.#move(room, lane, decision);
    return null;
  }

  /** A sender on another relay left the room: its topics go, as for a local sender's leave. */
  forgetSender(room: Room, senderId: number): void {
    const pacing = this.#rooms.get(room);
    const sender = pacing?.senders.get(senderId);
    if (!pacing || !sender) return;
    closeAll(sender);
    pacing.senders.delete(senderId);
    for (const receiver of pacing.receivers.values()) receiver.asked.delete(senderId);
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

  /** Sizes of every map and set kept here (GET /debug/counts, the leak test and the soak bench). */
  counts(): Record<string, number> {
    const c = {
      pacingRooms: this.#rooms.size,
      pacingReceivers: 0,
      pacingSenders: 0,
      pacedTopics: 0,
      pacedLanes: 0,
      pacedLanesDue: 0,
      pacedLanesWaitingH264: 0,
      pacedFramesKept: 0,
      receiverLanes: 0,
      receiverIdleLanes: 0,
      receiverLayerRequests: 0,
      layeredReceivers: this.#layeredReceivers,
      layerSamplerTimers: this.#timer === null ? 0 : 1,
    };
    for (const pacing of this.#rooms.values()) {
      c.pacingReceivers += pacing.receivers.size;
      c.pacingSenders += pacing.senders.size;
      for (const receiver of pacing.receivers.values()) {
        c.receiverLanes += receiver.lanes.size;
        c.receiverIdleLanes += receiver.idle.size;
        c.receiverLayerRequests += receiver.asked.size;
      }
      for (const sender of pacing.senders.values()) {
        for (const paced of [...sender.layers, ...sender.h264Layers]) {
          if (!paced) continue;
          const own = paced.counts();
          c.pacedTopics++;
          c.pacedLanes += own.lanes;
          c.pacedLanesDue += own.due;
          c.pacedLanesWaitingH264 += own.waitingH264;
          c.pacedFramesKept += own.kept;
        }
      }
    }
    return c;
  }

  /** The layer of `senderId` that `ws` gets now (tests, status); undefined without a lane. */
  layerOf(ws: PeerSocket, senderId: number): number | undefined {
    const room = ws.data.room;
    return room && this.#rooms.get(room)?.receivers.get(ws)?.lanes.get(senderId)?.sender.layer;
  }

  #layer(room: Room, sender: SenderLayers, layer: number, h264: boolean): PacedSender {
    const layers = h264 ? sender.h264Layers : sender.layers;
    let paced = layers[layer];
    if (paced === undefined) {
      const topic = senderTopic(room.name, sender.id, layer, h264);
      const keyframes = this.keyframes;
      const needKey = h264
        ? { needKey: (reason: KeyWaitReason) => keyframes?.ask(room, sender.id, layer, reason) }
        : null;
      paced = new PacedSender(sender.id, layer, topic, this.#server, this.limits, needKey);
      layers[layer] = paced;
    }
    return paced;
  }

  /** The sender's first kind 4 frame: lanes of receivers that decode H.264 move to its H.264 layers. */
  #startH264(room: Room, sender: SenderLayers): void {
    sender.h264 = true;
    for (const paced of sender.layers) {
      if (!paced) continue;
      for (const lane of [...paced.lanes.values()]) {
        if (!lane.receiver.ws.data.h264) continue;
        const inFlight = paced.inFlight(lane);
        paced.removeReceiver(lane, true);
        const moved = this.#layer(room, sender, paced.layer, true).addReceiver(
          lane.receiver,
          inFlight,
        );
        moved.adapter = lane.adapter;
      }
    }
  }

  /** Someone waits for a key frame of this sender's H.264 `layer` (keyframe-requests.ts). */
  waitingForKey(room: Room, senderId: number, layer: number): boolean {
    const paced = this.#rooms.get(room)?.senders.get(senderId)?.h264Layers[layer];
    if (!paced) return false;
    for (const lane of paced.waitingH264) if (lane.h264Below === 0) return true;
    return false;
  }

  #addLane(room: Room, sender: SenderLayers, receiver: PacedReceiver): void {
    // A screen share: only to receivers that joined with shares=1, never to its owner.
    if (!takesFramesOf(room, sender.id, receiver.ws.data)) return;
    const h264 = sender.h264 && receiver.ws.data.h264;
    if (!receiver.layered) {
      this.#layer(room, sender, 0, h264).addReceiver(receiver);
      return;
    }
    const adapter = new LayerAdapter(
      receiver.asked.get(sender.id) ?? 0,
      sender.offered,
      performance.now(),
    );
    const lane = this.#layer(room, sender, adapter.layer, h264).addReceiver(receiver);
    lane.adapter = adapter;
    adapter.start(sampleOf(lane, performance.now()));
  }

  #offer(room: Room, sender: SenderLayers, count: number): void {
    sender.offered = Math.min(MAX_LAYERS, Math.max(1, count));
    const now = performance.now();
    for (const paced of [...sender.layers, ...sender.h264Layers]) {
      if (!paced) continue;
      for (const lane of [...paced.lanes.values()]) {
        const decision = lane.adapter?.offer(sender.offered, now);
        if (decision) this.#move(room, lane, decision);
      }
    }
  }

  /** Moves a lane to another layer of its sender, with its unacked frames. */
  #move(room: Room, lane: Lane, decision: NonNullable<LayerDecision>): void {
    const from = lane.sender;
    const sender = this.#rooms.get(room)?.senders.get(from.id);
    if (!sender || decision.layer === from.layer) return;
    const inFlight = from.inFlight(lane);
    from.removeReceiver(lane, true);
    const h264 = from.h264 !== null;
    const moved = this.#layer(room, sender, decision.layer, h264).addReceiver(
      lane.receiver,
      inFlight,
    );
    moved.adapter = lane.adapter;
    moved.adapter?.start(sampleOf(moved, performance.now()));
    if (decision.layer > from.layer) layerStats.switchesDown++;
    else layerStats.switchesUp++;
  }

  /** Every few hundred ms: each layered lane's link, for its adapter. Per lane, not per frame. */
  #sampleLinks(): void {
    const now = performance.now();
    for (const [room, pacing] of this.#rooms) {
      for (const receiver of pacing.receivers.values()) {
        if (!receiver.layered) continue;
        const bufferedBytes = receiver.ws.getBufferedAmount();
        for (const lane of [...receiver.lanes.values()]) {
          const decision = lane.adapter?.sample(sampleOf(lane, now, bufferedBytes));
          if (decision) this.#move(room, lane, decision);
        }
      }
    }
  }
}

/** Layers a local sender announced (1 until it does; senders on other relays: learnt from frames). */
function announcedLayers(room: Room, senderId: number): number {
  return room.peers.get(senderId)?.data.layers?.length ?? 1;
}

/** A lane's link as its adapter sees it: counters on its current layer, and the send buffer. */
function sampleOf(lane: Lane, nowMs: number, bufferedBytes = lane.receiver.ws.getBufferedAmount()) {
  return {
    nowMs,
    published: lane.sender.latestN,
    sent: lane.sender.sentTo(lane),
    bufferedBytes,
  };
}

function laneCount(sender: SenderLayers): number {
  let count = 0;
  for (const paced of sender.layers) if (paced) count += paced.lanes.size;
  for (const paced of sender.h264Layers) if (paced) count += paced.lanes.size;
  return count;
}

function closeAll(sender: SenderLayers): void {
  for (const paced of sender.layers) paced?.close();
  for (const paced of sender.h264Layers) paced?.close();
}
