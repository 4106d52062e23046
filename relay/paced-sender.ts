// One sender's frames as acking receivers get them. A Bun topic (s:ROOM:ID) carries each frame
// natively to every acking receiver that is in step. A receiver with `window` frames of this
// sender unacked leaves the topic; its next ack gets it the newest frame at once (one send of
// the buffer we keep, no copy) and, if its window has room again, puts it back on the topic.
//
// In flight = sequence distance, so no per-frame loop over receivers: while on the topic a
// receiver has been sent everything up to `latestSeq`, so its in-flight count is
// latestSeq − ackedSeq, and it fills its window exactly when the sender reaches ackedSeq + window.
// Each receiver sits in the due bucket for that sequence (a ring of window+1 or more buckets);
// a frame empties one bucket. Acks move their receiver to a later bucket. All sequence
// arithmetic is modulo 2^32.
import type { Server } from "bun";
import { ackStats } from "./ack-metrics.ts";
import { stats } from "./metrics.ts";
import type { PeerSocket } from "./rooms.ts";

const HALF_RANGE = 2 ** 31;

/** How many steps `later` is past `earlier` in sequence space (mod 2^32). */
export function seqDistance(later: number, earlier: number): number {
  return (later - earlier) >>> 0;
}

/** An acking receiver: its lane to each sender, and lanes waiting for any ack to retry. */
export interface PacedReceiver {
  readonly ws: PeerSocket;
  readonly lanes: Map<number, Lane>;
  /** Held-back lanes with room in their window whose catch-up send was dropped (buffer full). */
  readonly idle: Set<Lane>;
}

/** One (sender, acking receiver) pair. */
export interface Lane {
  readonly receiver: PacedReceiver;
  readonly sender: PacedSender;
  /** Subscribed to the sender's topic: gets each frame as it is published. */
  onTopic: boolean;
  /** Newest sequence acked; acks are cumulative. */
  ackedSeq: number;
  /** Newest sequence sent; equal to the sender's latestSeq while on the topic. */
  sentSeq: number;
  /** The due bucket holding this lane while on the topic. */
  bucket: Set<Lane> | null;
}

export interface PacingLimits {
  /** Frames per sender in flight to one receiver before the relay waits for its ack. */
  ackWindow: number;
  backpressureLimitBytes: number;
}

export class PacedSender {
  readonly lanes = new Map<PeerSocket, Lane>();
  /** The newest frame: the very Buffer received (or converted) for the fan-out, not a copy. */
  latest: Buffer | null = null;
  latestSeq = 0;
  /** Lanes subscribed to the topic now. */
  onTopic = 0;
  readonly #due: Set<Lane>[];
  readonly #mask: number;

  constructor(
    readonly id: number,
    readonly topic: string,
    private readonly server: Server<unknown>,
    private readonly limits: PacingLimits,
  ) {
    // Due sequences span at most `window` values past latestSeq, so a ring larger than the
    // window never puts two different due sequences in one bucket.
    let size = 2;
    while (size <= limits.ackWindow) size *= 2;
    this.#mask = size - 1;
    this.#due = Array.from({ length: size }, () => new Set<Lane>());
  }

  addReceiver(receiver: PacedReceiver): void {
    const lane: Lane = {
      receiver,
      sender: this,
      onTopic: false,
      ackedSeq: this.latestSeq,
      sentSeq: this.latestSeq,
      bucket: null,
    };
    this.lanes.set(receiver.ws, lane);
    receiver.lanes.set(this.id, lane);
    this.#subscribe(lane);
  }

  /** The receiver left (its socket unsubscribes itself) or this sender did (`unsubscribe`). */
  removeReceiver(lane: Lane, unsubscribe: boolean): void {
    this.lanes.delete(lane.receiver.ws);
    lane.receiver.lanes.delete(this.id);
    lane.receiver.idle.delete(lane);
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
  }

  /** One frame: to every lane in step, natively; then lanes whose window is now full leave. */
  publish(message: Buffer, seq: number): void {
    const hadFrame = this.latest !== null;
    const previous = this.latestSeq;
    this.latest = message;
    this.latestSeq = seq;
    const receivers = this.onTopic;
    ackStats.framesHeld += this.lanes.size - receivers;
    if (receivers > 0) {
      const status = this.server.publish(this.topic, message);
      const delivered = status > 0 ? receivers : receivers - this.#leaveIfOverLimit(previous);
      stats.framesOut += delivered;
      stats.bytesOut += delivered * message.byteLength;
    }
    const step = seqDistance(seq, previous);
    if (!hadFrame || step === 0 || step >= HALF_RANGE) {
      this.#resync(seq);
    } else if (step === 1) {
      this.#fire(seq & this.#mask);
    } else {
      // The sender skipped numbers: every bucket the sequence passed over is due.
      const buckets = Math.min(step, this.#mask + 1);
      for (let k = 1; k <= buckets; k++) this.#fire((previous + k) & this.#mask);
    }
  }

  /** An ack from `lane`'s receiver for `seq`; false when it changes nothing. */
  ack(lane: Lane, seq: number): boolean {
    const sinceAcked = seqDistance(this.latestSeq, lane.ackedSeq);
    const back = seqDistance(this.latestSeq, seq);
    // Not newer than the last ack (duplicate, reordered) or newer than anything we have.
    if (this.latest === null || back >= sinceAcked) return false;
    lane.ackedSeq = seq;
    if (lane.onTopic) {
      this.#rebucket(lane);
      return true;
    }
    // Acked a frame we had counted as lost (our over-limit guess was wrong): it was sent.
    if (seqDistance(this.latestSeq, lane.sentSeq) > back) lane.sentSeq = seq;
    this.resume(lane);
    return true;
  }

  /**
   * A held-back lane after an ack: if its window has room, send it the newest frame (unless it
   * has that one already), and if there is still room, put it back on the topic.
   */
  resume(lane: Lane): void {
    lane.receiver.idle.delete(lane);
    let inFlight = seqDistance(lane.sentSeq, lane.ackedSeq);
    if (inFlight >= this.limits.ackWindow) return;
    const latest = this.latest;
    if (latest !== null && lane.sentSeq !== this.latestSeq) {
      const ws = lane.receiver.ws;
      if (ws.send(latest) === 0) {
        // Its buffer is full of other frames; its ack for one of them retries this lane.
        ws.data.framesDropped++;
        stats.framesDropped++;
        lane.receiver.idle.add(lane);
        return;
      }
      lane.sentSeq = this.latestSeq;
      inFlight++;
      stats.framesOut++;
      stats.bytesOut += latest.byteLength;
      ackStats.catchUps++;
      if (inFlight >= this.limits.ackWindow) return;
    }
    this.#subscribe(lane);
  }

  #subscribe(lane: Lane): void {
    lane.receiver.ws.subscribe(this.topic);
    lane.onTopic = true;
    this.onTopic++;
    this.#rebucket(lane);
  }

  #rebucket(lane: Lane): void {
    lane.bucket?.delete(lane);
    const bucket = this.#due[(lane.ackedSeq + this.limits.ackWindow) & this.#mask] as Set<Lane>;
    bucket.add(lane);
    lane.bucket = bucket;
  }

  /** Lanes whose window the newest frame filled leave the topic until their next ack. */
  #fire(index: number): void {
    const bucket = this.#due[index] as Set<Lane>;
    if (bucket.size === 0) return;
    for (const lane of bucket) this.#leaveTopic(lane, this.latestSeq);
    bucket.clear();
  }

  #leaveTopic(lane: Lane, sentSeq: number): void {
    lane.receiver.ws.unsubscribe(this.topic);
    lane.onTopic = false;
    lane.bucket = null;
    lane.sentSeq = sentSeq;
    this.onTopic--;
    ackStats.parks++;
  }

  /**
   * Rare path (a publish reported trouble): uWS skipped receivers over the backpressure limit.
   * They leave the topic having been sent only up to `previous`; returns how many.
   */
  #leaveIfOverLimit(previous: number): number {
    let skipped = 0;
    for (const lane of this.lanes.values()) {
      const ws = lane.receiver.ws;
      if (!lane.onTopic || ws.getBufferedAmount() <= this.limits.backpressureLimitBytes) continue;
      lane.bucket?.delete(lane);
      this.#leaveTopic(lane, previous);
      ws.data.framesDropped++;
      stats.framesDropped++;
      skipped++;
      // Nothing of ours in flight: only an ack for another sender's frame can wake it.
      if (seqDistance(lane.sentSeq, lane.ackedSeq) < this.limits.ackWindow) {
        lane.receiver.idle.add(lane);
      }
    }
    return skipped;
  }

  /**
   * First frame, or the sequence went backwards or repeated (the sender restarted its count):
   * in-flight counts mean nothing now, so every lane starts afresh with this frame in flight.
   */
  #resync(seq: number): void {
    const before = (seq - 1) >>> 0;
    for (const lane of this.lanes.values()) {
      lane.ackedSeq = before;
      if (lane.onTopic) {
        lane.sentSeq = seq;
        this.#rebucket(lane);
      } else {
        lane.sentSeq = before;
        this.resume(lane);
      }
    }
  }
}
