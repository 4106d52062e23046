// One H.264 sender's full-size stream for receivers that don't ack (docs/PROTOCOL.md, "H.264").
// Receivers in step are on the sender's topic (h:ROOM:ID), so each frame reaches them natively,
// with no JS per receiver. A receiver that misses a frame (uWS skipped it, or its buffer passed
// the video limit) leaves the topic for the waiting set, and rejoins it just before a frame it
// can decode with what it has: a key frame, or, when what it missed were frames of temporal
// layer T > 0 only, the next frame of a layer below T (temporal layers reference only lower ones).
// Late joiners start in the waiting set. Only waiting receivers cost JS per frame.
import { isKeyFrame, readTemporalLayer } from "../../../protocol/index.ts";
import type { PeerSocket } from "../../peer.ts";
import { stats } from "../../stats.ts";
import { type Publisher, TopicPublisher, type VideoReceivers } from "../topic-publisher.ts";

/** A waiting receiver: the frames it may rejoin on. */
interface Waiting {
  /**
   * -1: it missed nothing yet (its buffer passed the video limit after the last frame it got);
   * 0: it needs a key frame; T > 0: it missed frames of temporal layers ≥ T only.
   */
  below: number;
}

export class CleanStream implements VideoReceivers<PeerSocket> {
  readonly inStep = new Set<PeerSocket>();
  readonly waiting = new Map<PeerSocket, Waiting>();
  lastStatus = 1;
  /** Temporal layer of the frame being published (what a skipped receiver missed). */
  #temporal = 0;
  readonly #publisher: TopicPublisher<PeerSocket>;

  constructor(
    readonly senderId: number,
    readonly topic: string,
    socketLimitBytes: number,
    private readonly videoLimitBytes: number,
    /** Called when some receiver waits for a key frame (rate-limited by the caller). */
    private readonly needKey: (reason: "joined" | "missed") => void,
  ) {
    this.#publisher = new TopicPublisher(socketLimitBytes, videoLimitBytes);
  }

  /** A receiver joins this stream: it waits for the next key frame. */
  add(ws: PeerSocket): void {
    this.waiting.set(ws, { below: 0 });
    this.needKey("joined");
  }

  /** The receiver left (its socket unsubscribes itself unless `unsubscribe`). */
  remove(ws: PeerSocket, unsubscribe: boolean): void {
    if (this.inStep.delete(ws) && unsubscribe) ws.unsubscribe(this.topic);
    this.waiting.delete(ws);
  }

  /** The sender left: everyone leaves the topic. */
  close(): void {
    for (const ws of this.inStep) ws.unsubscribe(this.topic);
    this.inStep.clear();
    this.waiting.clear();
  }

  /** One frame of the sender's full-size layer. Returns how many receivers got it. */
  publish(message: Buffer, via: Publisher, from: PeerSocket | null): number {
    const temporal = readTemporalLayer(message);
    if (this.waiting.size > 0) this.#wake(isKeyFrame(message), temporal);
    const receivers = this.inStep.size;
    if (receivers === 0) return 0;
    this.#temporal = temporal;
    const dropped = this.#publisher.publishVideo(this, via, this.topic, message, from);
    stats.framesDropped += dropped;
    return receivers - dropped;
  }

  /** Before a frame: waiting receivers it heals (and whose buffer drained) rejoin the topic. */
  #wake(key: boolean, temporal: number): void {
    let needKey = false;
    for (const [ws, entry] of this.waiting) {
      const heals = entry.below === -1 || key || temporal < entry.below;
      if (heals && ws.getBufferedAmount() <= this.videoLimitBytes / 2) {
        this.waiting.delete(ws);
        this.inStep.add(ws);
        ws.subscribe(this.topic);
        continue;
      }
      // It misses this frame too.
      entry.below = entry.below === -1 ? temporal : Math.min(entry.below, key ? 0 : temporal);
      ws.data.framesDropped++;
      stats.framesDropped++;
      if (entry.below === 0) needKey = true;
    }
    if (needKey) this.needKey("missed");
  }

  overLimit(limitBytes: number, from: PeerSocket | null, into: PeerSocket[]): number {
    let count = 0;
    for (const ws of this.inStep) {
      if (ws !== from && ws.getBufferedAmount() > limitBytes) into[count++] = ws;
    }
    return count;
  }

  /** uWS skipped this frame for `ws`: it waits for a frame that heals the gap. */
  skipped(ws: PeerSocket): void {
    ws.data.framesDropped++;
    this.#leave(ws, this.#temporal);
    if (this.#temporal === 0) this.needKey("missed");
  }

  /** Past the video limit (it got this frame): off the topic until it drains. */
  stopVideo(ws: PeerSocket): void {
    this.#leave(ws, -1);
  }

  #leave(ws: PeerSocket, below: number): void {
    if (!this.inStep.delete(ws)) return;
    ws.unsubscribe(this.topic);
    this.waiting.set(ws, { below });
  }
}
