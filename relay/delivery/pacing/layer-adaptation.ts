// Which layer one receiver gets of one sender (docs/PROTOCOL.md, "Layers"). Pure logic, driven by
// samples of the link the relay takes every SAMPLE_MS: how many frames the sender published on
// the receiver's layer and how many were sent to the receiver (ack pacing sends fewer when acks
// fall behind), and the receiver's send buffer. Down a layer fast when the link can't keep up,
// up again only after a few seconds of keeping up with room to spare, never above what the
// receiver asked for. relay/delivery/pacing/ack-pacing.ts (its layer lanes) applies them.

export interface AdaptationTuning {
  /** How often the relay samples each lane. */
  sampleMs: number;
  /** Frames sent ÷ published over the last `judgeMs` below this: the link can't keep up. */
  downRatio: number;
  /** At or above this the link keeps up with room to spare (it may try a larger layer). */
  upRatio: number;
  /** Span of samples each decision looks at. */
  judgeMs: number;
  /** After a switch, this long before judging the new layer (in-flight frames settle). */
  settleMs: number;
  /** Keeping up this long on a layer before trying the next larger one... */
  upAfterMs: number;
  /** ...and this long after falling back from a try (within failedProbeMs of it). */
  upAfterFailedMs: number;
  failedProbeMs: number;
  /** A send buffer over this many bytes that grew since the last sample: falling behind. */
  bufferBytes: number;
  /** Fewer frames published than this in `judgeMs`: too few to judge (sender paused). */
  minFrames: number;
}

export const DEFAULT_TUNING: AdaptationTuning = {
  sampleMs: 250,
  downRatio: 0.75,
  upRatio: 0.95,
  judgeMs: 500,
  settleMs: 500,
  upAfterMs: 1500,
  upAfterFailedMs: 1750,
  failedProbeMs: 2000,
  bufferBytes: 64 * 1024,
  minFrames: 4,
};

/** One observation of a lane: cumulative counters for the current layer, and the buffer now. */
export interface LinkSample {
  nowMs: number;
  /** Frames the sender published on the lane's current layer so far. */
  published: number;
  /** Of those, frames sent to this receiver so far. */
  sent: number;
  /** Bytes queued in the receiver's socket (Bun's getBufferedAmount). */
  bufferedBytes: number;
}

export type LayerDecision = { layer: number; reason: "link" | "request" | "offer" } | null;

interface Point {
  nowMs: number;
  published: number;
  sent: number;
}

export class LayerAdapter {
  /** The layer the receiver gets now (0 = full size). */
  layer: number;
  /** The largest layer (smallest id) the receiver asked for; 0 when it asked nothing. */
  ceiling: number;
  /** How many layers the sender offers (ids 0..offered−1). */
  offered: number;
  readonly #tuning: AdaptationTuning;
  #points: Point[] = [];
  #switchedAt: number;
  /** Since when the link has kept up with room to spare on this layer (NaN: it hasn't). */
  #keepingUpSince = Number.NaN;
  #lastUpAt = Number.NEGATIVE_INFINITY;
  #upAfterMs: number;
  #lastBuffered = 0;
  /** True while the link, not the request, holds the layer below the ceiling. */
  linkLimited = false;

  constructor(
    ceiling: number,
    offered: number,
    nowMs: number,
    tuning: AdaptationTuning = DEFAULT_TUNING,
  ) {
    this.#tuning = tuning;
    this.offered = Math.max(1, offered);
    this.ceiling = ceiling;
    this.layer = this.#clamp(ceiling);
    // Nothing of another layer is in flight yet: no settling before the first judgement.
    this.#switchedAt = nowMs - tuning.settleMs;
    this.#upAfterMs = tuning.upAfterMs;
  }

  /**
   * The lane's counters when it starts on a layer (made, or moved by a switch): the first span
   * is judged from here instead of from the first periodic sample.
   */
  start(sample: LinkSample): void {
    this.#points = [{ nowMs: sample.nowMs, published: sample.published, sent: sample.sent }];
    this.#lastBuffered = sample.bufferedBytes;
  }

  /** The receiver asked for `ceiling`. Returns the layer to move to, if it changes. */
  request(ceiling: number, nowMs: number): LayerDecision {
    this.ceiling = ceiling;
    const target = this.#clamp(ceiling);
    // Asked for less: at once. Asked for more: at once unless the link is what holds it lower.
    if (target > this.layer || (target < this.layer && !this.linkLimited)) {
      return this.#switch(target, nowMs, "request");
    }
    return null;
  }

  /** The sender now offers `offered` layers. Returns the layer to move to, if it changes. */
  offer(offered: number, nowMs: number): LayerDecision {
    this.offered = Math.max(1, offered);
    const target = Math.max(this.#clamp(this.ceiling), Math.min(this.layer, this.offered - 1));
    return target !== this.layer ? this.#switch(target, nowMs, "offer") : null;
  }

  /** A periodic sample. Returns the layer to move to when the link calls for one. */
  sample(sample: LinkSample): LayerDecision {
    const tuning = this.#tuning;
    const now = sample.nowMs;
    this.#points.push({ nowMs: now, published: sample.published, sent: sample.sent });
    const growing = sample.bufferedBytes > this.#lastBuffered;
    this.#lastBuffered = sample.bufferedBytes;
    // Keep points back to judgeMs ago, plus the one just before (the span's start).
    while (this.#points.length > 2 && (this.#points[1] as Point).nowMs <= now - tuning.judgeMs) {
      this.#points.shift();
    }
    if (now - this.#switchedAt < tuning.settleMs) return null;
    const first = this.#points[0] as Point;
    const published = sample.published - first.published;
    const sent = sample.sent - first.sent;
    const spanned = now - first.nowMs >= tuning.judgeMs;
    const judged = spanned && published >= tuning.minFrames;
    const ratio = judged ? sent / published : 1;
    const buffered = sample.bufferedBytes > tuning.bufferBytes && growing;
    if ((judged && ratio < tuning.downRatio) || buffered) {
      this.#keepingUpSince = Number.NaN;
      if (this.layer >= this.offered - 1) return null;
      // Back down soon after trying upward: the next try from here waits longer.
      const failedTry = now - this.#lastUpAt < tuning.failedProbeMs;
      this.linkLimited = true;
      const decision = this.#switch(this.layer + 1, now, "link");
      this.#upAfterMs = failedTry ? tuning.upAfterFailedMs : tuning.upAfterMs;
      return decision;
    }
    if (!judged || ratio < tuning.upRatio || sample.bufferedBytes > tuning.bufferBytes) {
      // Holding: not falling behind, but no room to spare either (or too little to tell).
      if (judged) this.#keepingUpSince = Number.NaN;
      return null;
    }
    // It has kept up since the start of the span just judged.
    if (Number.isNaN(this.#keepingUpSince)) this.#keepingUpSince = first.nowMs;
    const target = this.#clamp(this.ceiling);
    if (this.layer <= target) {
      this.linkLimited = false;
      return null;
    }
    if (now - this.#keepingUpSince < this.#upAfterMs) return null;
    this.#lastUpAt = now;
    if (this.layer - 1 <= target) this.linkLimited = false;
    return this.#switch(this.layer - 1, now, "link");
  }

  #clamp(layer: number): number {
    return Math.min(Math.max(0, layer), this.offered - 1);
  }

  #switch(layer: number, nowMs: number, reason: "link" | "request" | "offer"): LayerDecision {
    if (layer === this.layer) return null;
    if (reason !== "link" && layer <= this.#clamp(this.ceiling)) this.linkLimited = false;
    // A new layer: the next try upward (to a layer not yet tried from here) waits the usual time.
    this.#upAfterMs = this.#tuning.upAfterMs;
    this.layer = layer;
    this.#switchedAt = nowMs;
    this.#keepingUpSince = Number.NaN;
    this.#points = [];
    return { layer, reason };
  }
}
