// One sender's frames as acking receivers get them. A Bun topic (s:ROOM:ID) carries each frame
// natively to every acking receiver in step with the sender. A receiver with `window` frames of
// this sender unacked leaves the topic; its next ack gets it the newest frame at once (one send of
// the Buffer we keep, no copy) and, if its window has room again, puts it back on the topic.
//
// No per-frame loop over receivers: frames get a relay-side number n (1, 2, 3... per sender).
// A receiver on the topic has been sent every frame after `topicFrom`, so it holds
// unacked.length + (latestN − topicFrom) frames and fills its window exactly at frame
// n = topicFrom + window − unacked.length. It waits in the due bucket for that n (a ring of more
// than `window` buckets); each frame empties one bucket, and each ack moves its receiver to a
// later one. Acks name frames by the sender's sequence number, matched against the last
// RECENT_FRAMES numbers, so a sender that skips or repeats numbers can't confuse the counts.
//
// H.264 (kind 4) lanes keep every receiver's stream decodable: a lane that missed frames (it
// was held back, skipped, or is new) gets the newest frame on its return only if that frame
// heals the gap (a key frame, or a frame of a temporal layer below every one it missed);
// otherwise, if it is only a little behind, it gets the frames it missed in order (the newest
// ones are kept), and if it is further behind it waits, off the topic, and rejoins it just before
// the next frame that heals. Only lanes off the topic cost JS per frame.
import type { Server } from "bun";
import { isKeyFrame, readCaptureTime, readTemporalLayer } from "../../../protocol/index.ts";
import type { PeerSocket } from "../../peer.ts";
import { stats } from "../../stats.ts";
import { socketBackpressureLimit } from "../audio-fanout.ts";
import { TopicPublisher, type VideoReceivers } from "../topic-publisher.ts";
import { ackStats } from "./ack-metrics.ts";
import type { LayerAdapter } from "./layer-adaptation.ts";
import { layerStats } from "./layer-metrics.ts";

/** Frames whose sequence numbers we remember, to match acks (~8 s at 30 fps). */
const RECENT_FRAMES = 256;

/** An acking receiver: its lane to each sender, and lanes waiting for any ack to retry. */
export interface PacedReceiver {
  readonly ws: PeerSocket;
  readonly lanes: Map<number, Lane>;
  /** Held-back lanes with room in their window whose catch-up send was dropped (buffer full). */
  readonly idle: Set<Lane>;
  /** Joined with ?layers=1: its lanes move between layers (ack-pacing.ts). */
  readonly layered: boolean;
  /** The layer it asked of each sender (layer_request); none: the full layer. */
  readonly asked: Map<number, number>;
}

/** One (sender, acking receiver) pair. */
export interface Lane {
  readonly receiver: PacedReceiver;
  readonly sender: PacedSender;
  /** Subscribed to the sender's topic: gets each frame as it is published. */
  onTopic: boolean;
  /** On the topic: frames after this n were sent to it by the topic and are not yet acked. */
  topicFrom: number;
  /** Newest frame n sent to it (while on the topic: the sender's latest). */
  sentN: number;
  /** Unacked frames sent outside the current topic stretch, oldest first: n and sequence. */
  readonly unackedN: number[];
  readonly unackedSeq: number[];
  /** The due bucket holding this lane while on the topic. */
  bucket: Set<Lane> | null;
  /** Frames sent to it before its current topic stretch (the stretch adds latestN − subscribedAt). */
  sentCount: number;
  /** latestN when it last joined the topic. */
  subscribedAt: number;
  /** Chooses its layer of this sender (layered receivers only). */
  adapter: LayerAdapter | null;
  /**
   * H.264 lanes waiting off the topic: the frames that heal its gap are key frames (0) or frames
   * of a temporal layer below this; Infinity while it is not waiting.
   */
  h264Below: number;
}

/** Why an H.264 lane waits for a key frame (the keyframe_request reason). */
export type KeyWaitReason = "joined" | "missed" | "layer_switch";

/** What an H.264 PacedSender needs: a way to ask its sender for a key frame. */
export interface H264Pacing {
  needKey(reason: KeyWaitReason): void;
}

export interface PacingLimits {
  /** Frames per sender in flight to one receiver before the relay waits for its ack. */
  ackWindow: number;
  backpressureLimitBytes: number;
}

/** H.264 frames kept per sender and layer for in-order catch-up (CATCH_UP_MS at up to 37 fps). */
const KEPT_FRAMES = 16;
/** An H.264 lane this far behind (capture time) catches up in order; further, it waits for a key frame. */
const CATCH_UP_MS = 400;

/** sentN of an H.264 lane that joined a running stream: it has none of the frames so far. */
const NOTHING_SENT = -RECENT_FRAMES - 1;

function ringSize(atLeast: number): number {
  let size = 2;
  while (size < atLeast) size *= 2;
  return size;
}

/** Drops the first `count` entries in place (no allocation, unlike splice). */
function dropFirst(values: number[], count: number): void {
  values.copyWithin(0, count);
  values.length -= count;
}

/** One sender's topic for acking receivers; its lanes are the receivers TopicPublisher counts. */
export class PacedSender implements VideoReceivers<Lane> {
  readonly lanes = new Map<PeerSocket, Lane>();
  /** The newest frame: the very Buffer received (or converted) for the fan-out, not a copy. */
  latest: Buffer | null = null;
  /** Relay-side number of the newest frame (0: none yet). */
  latestN = 0;
  /** Lanes subscribed to the topic now. */
  onTopic = 0;
  readonly #window: number;
  readonly #due: Set<Lane>[];
  readonly #dueMask: number;
  readonly #recentSeq = new Uint32Array(RECENT_FRAMES);
  /** H.264: each recent frame's rank, 0 for a key frame, else 1 + its temporal layer. */
  readonly #recentRank = new Uint8Array(RECENT_FRAMES);
  /** H.264 lanes with room in their window waiting for a frame that heals their gap. */
  readonly waitingH264 = new Set<Lane>();
  /** H.264: the newest KEPT_FRAMES frames (the Buffers received, not copies), for in-order catch-up. */
  readonly #kept: (Buffer | undefined)[] = [];
  /** Status of the last publish to the topic: > 0 means no lane can be over the limit now. */
  lastStatus = 1;
  /** Publish-then-count on the topic, where video yields to audio. */
  readonly #publisher: TopicPublisher<Lane>;
  /** The reason the next lane that starts waiting for a key frame gives. */
  #keyReason: KeyWaitReason = "missed";

  constructor(
    readonly id: number,
    /** Which of the sender's layers this is (0 = full size); its frames go to this topic only. */
    readonly layer: number,
    readonly topic: string,
    private readonly server: Server<unknown>,
    private readonly limits: PacingLimits,
    /** Set for kind 4: lanes never get a frame they can't decode (see the top of this file). */
    readonly h264: H264Pacing | null = null,
  ) {
    this.#window = limits.ackWindow;
    this.#publisher = new TopicPublisher(
      socketBackpressureLimit(limits.backpressureLimitBytes),
      limits.backpressureLimitBytes,
    );
    // Due frames lie at most `window` past the latest, so a larger ring never mixes two of them.
    const size = ringSize(this.#window + 1);
    this.#dueMask = size - 1;
    this.#due = Array.from({ length: size }, () => new Set<Lane>());
  }

  /**
   * A lane for `receiver`. `inFlight`: it moves here from another layer of this sender with
   * these frames (sequence numbers) still unacked; they count against its window here, and it
   * gets this layer's newest frame at once if its window has room.
   */
  addReceiver(receiver: PacedReceiver, inFlight: readonly number[] | null = null): Lane {
    const lane: Lane = {
      receiver,
      sender: this,
      onTopic: false,
      topicFrom: this.latestN,
      sentN: this.latestN,
      unackedN: [],
      unackedSeq: [],
      bucket: null,
      sentCount: 0,
      subscribedAt: this.latestN,
      adapter: null,
      h264Below: Number.POSITIVE_INFINITY,
    };
    this.lanes.set(receiver.ws, lane);
    receiver.lanes.set(this.id, lane);
    if (this.h264 !== null) {
      // Joining an H.264 stream (or moving from another layer): it starts on a key frame.
      lane.sentN = NOTHING_SENT;
      for (const seq of inFlight ?? []) {
        lane.unackedN.push(0);
        lane.unackedSeq.push(seq);
      }
      this.#keyReason = inFlight === null ? "joined" : "layer_switch";
      if (this.latest === null) this.#waitH264(lane);
      else this.resume(lane);
      return lane;
    }
    if (inFlight === null) {
      this.#subscribe(lane);
      return lane;
    }
    // Frames of the other layer: older than any of ours (n = 0), acked by their own numbers.
    for (const seq of inFlight) {
      lane.unackedN.push(0);
      lane.unackedSeq.push(seq);
    }
    lane.sentN = -1;
    this.resume(lane);
    return lane;
  }

  /** Sizes of what this topic keeps (AckPacing.counts). */
  counts(): { lanes: number; due: number; waitingH264: number; kept: number } {
    let due = 0;
    for (const bucket of this.#due) due += bucket.size;
    let kept = this.latest === null ? 0 : 1;
    for (const frame of this.#kept) if (frame !== undefined) kept++;
    return { lanes: this.lanes.size, due, waitingH264: this.waitingH264.size, kept };
  }

  /** Sequence numbers of the frames sent to `lane` and not yet acked, oldest first. */
  inFlight(lane: Lane): number[] {
    const seqs = lane.unackedSeq.slice();
    if (lane.onTopic) {
      const from = Math.max(lane.topicFrom + 1, this.latestN - RECENT_FRAMES + 1);
      for (let n = from; n <= this.latestN; n++)
        seqs.push(this.#recentSeq[n % RECENT_FRAMES] as number);
    }
    return seqs;
  }

  /** Frames sent to `lane` since it was made (topic and catch-ups). */
  sentTo(lane: Lane): number {
    return lane.sentCount + (lane.onTopic ? this.latestN - lane.subscribedAt : 0);
  }

  /** The receiver left (its socket unsubscribes itself) or this sender did (`unsubscribe`). */
  removeReceiver(lane: Lane, unsubscribe: boolean): void {
    this.lanes.delete(lane.receiver.ws);
    lane.receiver.lanes.delete(this.id);
    lane.receiver.idle.delete(lane);
    this.waitingH264.delete(lane);
    if (!lane.onTopic) return;
    lane.bucket?.delete(lane);
    lane.bucket = null;
    lane.onTopic = false;
    this.onTopic--;
    if (unsubscribe) lane.receiver.ws.unsubscribe(this.topic);
  }

  /** The sender left: every receiver leaves its topic and the kept frame is released. */
  close(): void {
    for (const lane of this.lanes.values()) this.removeReceiver(lane, true);
    this.latest = null;
    this.#kept.length = 0;
  }

  /** One frame: to every lane in step, natively; then lanes whose window it filled leave. */
  publish(message: Buffer, seq: number): void {
    if (this.h264 !== null) {
      const rank = isKeyFrame(message) ? 0 : 1 + readTemporalLayer(message);
      this.#recentRank[(this.latestN + 1) % RECENT_FRAMES] = rank;
      if (this.waitingH264.size > 0) this.#wakeH264(rank);
    }
    const n = ++this.latestN;
    this.latest = message;
    this.#recentSeq[n % RECENT_FRAMES] = seq;
    if (this.h264 !== null) this.#kept[n % KEPT_FRAMES] = message;
    const receivers = this.onTopic;
    ackStats.framesHeld += this.lanes.size - receivers;
    if (receivers === 0) return;
    // Publish, then count (topic-publisher.ts). Past the video limit the rest of a receiver's
    // buffer is for sound: lanes over it leave the topic having got frame n, as if their window
    // had filled; an ack (theirs will come, for what is queued) brings them back through resume().
    const dropped = this.#publisher.publishVideo(this, this.server, this.topic, message, null);
    const delivered = receivers - dropped;
    stats.framesOut += delivered;
    stats.bytesOut += delivered * message.byteLength;
    (layerStats.bytesOut[this.layer] as number) += delivered * message.byteLength;
    const bucket = this.#due[n & this.#dueMask] as Set<Lane>;
    if (bucket.size === 0) return;
    for (const lane of bucket) if (lane.onTopic) this.#leaveTopic(lane, n);
    bucket.clear();
  }

  /** An ack for the frame with sequence `seq`; false when it acks nothing still unacked. */
  ack(lane: Lane, seq: number): boolean {
    let n: number;
    const index = lane.unackedSeq.lastIndexOf(seq);
    if (index >= 0) {
      // One of the frames held apart (index order is n order; another layer's count as n = 0).
      n = lane.unackedN[index] as number;
      dropFirst(lane.unackedN, index + 1);
      dropFirst(lane.unackedSeq, index + 1);
    } else {
      n = this.#topicFrameOf(lane, seq);
      if (n === 0) return false;
      let acked = 0;
      while (acked < lane.unackedN.length && (lane.unackedN[acked] as number) <= n) acked++;
      dropFirst(lane.unackedN, acked);
      dropFirst(lane.unackedSeq, acked);
    }
    if (lane.onTopic) {
      if (n > lane.topicFrom) lane.topicFrom = n;
      this.#rebucket(lane);
    } else {
      this.resume(lane);
    }
    return true;
  }

  /**
   * A held-back lane after an ack: if its window has room, send it the newest frame (unless it
   * has that one already), and if there is still room, put it back on the topic.
   */
  resume(lane: Lane): void {
    lane.receiver.idle.delete(lane);
    if (lane.unackedN.length >= this.#window) return;
    const ws = lane.receiver.ws;
    if (ws.getBufferedAmount() > this.limits.backpressureLimitBytes) {
      // Past the video limit the rest of its buffer is for sound (audio-fanout.ts): no video
      // yet; its next ack (for what is queued) tries again.
      lane.receiver.idle.add(lane);
      return;
    }
    const latest = this.latest;
    if (latest !== null && lane.sentN !== this.latestN) {
      if (this.h264 !== null && !this.#heals(lane)) {
        if (!this.#catchUpInOrder(lane)) this.#waitH264(lane);
        return;
      }
      this.waitingH264.delete(lane);
      lane.h264Below = Number.POSITIVE_INFINITY;
      if (ws.send(latest) === 0) {
        // Its buffer is full of other frames; its ack for one of them retries this lane.
        ws.data.framesDropped++;
        stats.framesDropped++;
        lane.receiver.idle.add(lane);
        return;
      }
      this.#sent(lane, this.latestN);
      lane.sentCount++;
      stats.framesOut++;
      stats.bytesOut += latest.byteLength;
      (layerStats.bytesOut[this.layer] as number) += latest.byteLength;
      ackStats.catchUps++;
      if (lane.unackedN.length >= this.#window) return;
    }
    this.#subscribe(lane);
  }

  /**
   * H.264: whether the newest frame heals what `lane` missed (frames after sentN): a key frame
   * does; a delta frame does when every missed frame was of a higher temporal layer than it.
   */
  #heals(lane: Lane): boolean {
    const latestN = this.latestN;
    const latestRank = this.#recentRank[latestN % RECENT_FRAMES] as number;
    if (latestRank === 0) return true;
    if (lane.sentN < latestN - RECENT_FRAMES + 1) {
      lane.h264Below = 0; // missed too much to know: a key frame
      return false;
    }
    let below = Number.POSITIVE_INFINITY;
    for (let n = lane.sentN + 1; n < latestN; n++) {
      below = Math.min(below, this.#recentRank[n % RECENT_FRAMES] as number);
    }
    lane.h264Below = Math.min(below, latestRank);
    return latestRank < below;
  }

  /**
   * H.264: a lane a little behind (its oldest missed frame at most CATCH_UP_MS older than the
   * newest, and still kept) gets the missed frames in order, as far as its window allows, instead
   * of waiting for a key frame; once it has the newest it is back on the topic. False when it is
   * too far behind (it then waits for a key frame).
   */
  #catchUpInOrder(lane: Lane): boolean {
    const latestN = this.latestN;
    const next = lane.sentN + 1;
    if (next < 1 || next <= latestN - KEPT_FRAMES) return false;
    const oldest = this.#kept[next % KEPT_FRAMES];
    const latest = this.latest;
    if (!oldest || !latest || readCaptureTime(latest) - readCaptureTime(oldest) > CATCH_UP_MS) {
      return false;
    }
    const ws = lane.receiver.ws;
    this.waitingH264.delete(lane);
    lane.h264Below = Number.POSITIVE_INFINITY;
    for (let n = next; n <= latestN; n++) {
      if (lane.unackedN.length >= this.#window) return true; // its next ack goes on from here
      const frame = this.#kept[n % KEPT_FRAMES] as Buffer;
      if (ws.send(frame) === 0) {
        ws.data.framesDropped++;
        stats.framesDropped++;
        lane.receiver.idle.add(lane);
        return true;
      }
      this.#sent(lane, n);
      lane.sentCount++;
      stats.framesOut++;
      stats.bytesOut += frame.byteLength;
      (layerStats.bytesOut[this.layer] as number) += frame.byteLength;
      ackStats.catchUps++;
    }
    if (lane.unackedN.length < this.#window) this.#subscribe(lane);
    return true;
  }

  /** H.264: off the topic until a frame heals the lane's gap; asks for a key frame if it takes one. */
  #waitH264(lane: Lane): void {
    if (lane.h264Below === Number.POSITIVE_INFINITY) lane.h264Below = 0;
    this.waitingH264.add(lane);
    if (lane.h264Below <= 1) {
      // Rank 1 is temporal layer 0: only a key frame heals a missed base-layer frame.
      lane.h264Below = 0;
      this.h264?.needKey(this.#keyReason);
    }
    this.#keyReason = "missed";
  }

  /** H.264, before frame latestN + 1 of `rank`: waiting lanes it heals rejoin the topic for it. */
  #wakeH264(rank: number): void {
    let needKey = false;
    for (const lane of this.waitingH264) {
      const ws = lane.receiver.ws;
      const heals = rank === 0 || rank < lane.h264Below;
      if (heals && ws.getBufferedAmount() <= this.limits.backpressureLimitBytes) {
        this.waitingH264.delete(lane);
        lane.h264Below = Number.POSITIVE_INFINITY;
        this.#subscribe(lane);
        continue;
      }
      lane.h264Below = Math.min(lane.h264Below, rank <= 1 ? 0 : rank);
      if (lane.h264Below === 0) needKey = true;
    }
    if (needKey) this.h264?.needKey("missed");
  }

  /** The frame n an ack names among those the topic brought (unacked ones are checked first), or 0. */
  #topicFrameOf(lane: Lane, seq: number): number {
    // Frames the topic brought (or newer than we counted, after an over-limit guess).
    const oldest = lane.unackedN[0] ?? (lane.onTopic ? lane.topicFrom + 1 : lane.sentN + 1);
    const floor = Math.max(oldest, this.latestN - RECENT_FRAMES + 1, 1);
    for (let n = this.latestN; n >= floor; n--) {
      if (this.#recentSeq[n % RECENT_FRAMES] === seq) return n;
    }
    return 0;
  }

  #sent(lane: Lane, n: number): void {
    lane.unackedN.push(n);
    lane.unackedSeq.push(this.#recentSeq[n % RECENT_FRAMES] as number);
    lane.sentN = n;
  }

  #subscribe(lane: Lane): void {
    lane.receiver.ws.subscribe(this.topic);
    lane.onTopic = true;
    lane.topicFrom = this.latestN;
    lane.sentN = this.latestN;
    lane.subscribedAt = this.latestN;
    this.onTopic++;
    this.#rebucket(lane);
  }

  /** On the topic, in flight = unacked.length + latestN − topicFrom; due when it hits the window. */
  #rebucket(lane: Lane): void {
    lane.bucket?.delete(lane);
    const due = lane.topicFrom + this.#window - lane.unackedN.length;
    const bucket = this.#due[due & this.#dueMask] as Set<Lane>;
    bucket.add(lane);
    lane.bucket = bucket;
  }

  /** The lane leaves the topic having been sent frames up to `lastN`. */
  #leaveTopic(lane: Lane, lastN: number): void {
    lane.receiver.ws.unsubscribe(this.topic);
    for (let n = lane.topicFrom + 1; n <= lastN; n++) this.#sent(lane, n);
    lane.sentCount += lastN - lane.subscribedAt;
    lane.sentN = lastN;
    lane.onTopic = false;
    lane.bucket = null;
    this.onTopic--;
    ackStats.parks++;
  }

  /** Lanes on the topic whose receiver has more than `limitBytes` queued now (TopicReceivers). */
  overLimit(limitBytes: number, _from: PeerSocket | null, into: Lane[]): number {
    let count = 0;
    for (const lane of this.lanes.values()) {
      if (!lane.onTopic) continue;
      if (lane.receiver.ws.getBufferedAmount() > limitBytes) into[count++] = lane;
    }
    return count;
  }

  /** Over the video limit while still on the topic: it stops here, the newest frame delivered. */
  stopVideo(lane: Lane): void {
    lane.bucket?.delete(lane);
    this.#leaveTopic(lane, this.latestN);
    if (lane.unackedN.length < this.#window) lane.receiver.idle.add(lane);
  }

  /** uWS skipped the newest frame for this lane: it leaves the topic having been sent up to n − 1. */
  skipped(lane: Lane): void {
    const n = this.latestN;
    lane.bucket?.delete(lane);
    this.#leaveTopic(lane, n - 1);
    lane.receiver.ws.data.framesDropped++;
    stats.framesDropped++;
    // Its window has room but nothing of ours may be in flight to bring an ack: any ack wakes it.
    if (lane.unackedN.length < this.#window) lane.receiver.idle.add(lane);
  }
}
