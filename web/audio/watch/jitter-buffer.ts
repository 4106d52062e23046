// The adaptive jitter buffer of one remote participant's sound, as pure code: decoded 20 ms
// frames go in as they arrive (any order), 128-sample render quanta come out at the audio
// clock's pace. Playback starts once `target` ms are queued (80 ms at first); a frame missing at
// its turn is concealed (the last frame again, fading) instead of waiting for it; one that comes
// after its turn is "late": dropped, and the target grows by a frame. The queue follows the
// target: each growth plays the last frame once more (stretch: 20 ms more delay from then on);
// a queue standing a frame or more above target for a second skips one frame (trim). After a calm spell with nothing late the
// target shrinks again, so delay follows the network instead of only ever growing. The AudioWorklet
// (playback-worklet.ts) runs it; tests drive it with made-up arrivals.

export interface AudioFrame {
  /** The packet's sequence number (per sender, +1 per 20 ms packet). */
  seq: number;
  /** Capture time of the frame's first sample (ms since epoch, sender's clock). */
  captureTimeMs: number;
  samples: Float32Array;
}

export interface JitterOptions {
  sampleRate: number;
  /** Samples per frame (960 = 20 ms at 48 kHz). */
  frameSamples: number;
  initialTargetMs: number;
  minTargetMs: number;
  maxTargetMs: number;
  /** Time with nothing late before the target may shrink by one step (half a frame). */
  shrinkAfterMs: number;
  /** Late frames closer together than this are one episode (one stall): the target grows once. */
  lateEpisodeMs: number;
}

export const DEFAULT_JITTER_OPTIONS: JitterOptions = {
  sampleRate: 48_000,
  frameSamples: 960,
  initialTargetMs: 80,
  minTargetMs: 40,
  maxTargetMs: 400,
  shrinkAfterMs: 2_000,
  lateEpisodeMs: 500,
};

export interface JitterStats {
  /** Delay the buffer aims for (ms of sound queued ahead of what is playing). */
  targetMs: number;
  /** Sound queued ahead of the playhead now (ms). */
  bufferedMs: number;
  played: number;
  /** Frames made up because the real one was missing at its turn. */
  concealed: number;
  /** Frames that arrived after their turn (dropped; each grows the target). */
  late: number;
  /** Frames skipped to bring a standing queue back to target. */
  trimmed: number;
  /** Frames played twice to let the queue grow to a larger target. */
  stretched: number;
  /** Times playback ran dry and waited to refill (sender muted or gone quiet). */
  rebuffers: number;
}

/** After this many concealed frames in a row with nothing queued, stop and wait to refill. */
const MAX_CONCEALED_IN_A_ROW = 3;
/** Each concealed frame in a row is this much quieter than the one before. */
const CONCEAL_FADE = 0.5;

export class JitterBuffer {
  readonly #options: JitterOptions;
  readonly #frames = new Map<number, AudioFrame>();
  /** Sequence number whose turn is next; null while (re)buffering. */
  #nextSeq: number | null = null;
  #current: Float32Array | null = null;
  #currentCapture = 0;
  #offset = 0;
  #last: Float32Array | null = null;
  #concealedInARow = 0;
  #targetMs: number;
  /** Target growth not yet turned into delay (one stretched frame each). */
  #owedStretches = 0;
  /** Samples played since the last late frame (or since the target last shrank). */
  #calmSamples = 0;
  /** Samples played since the target last grew (late frames within an episode grow it once). */
  #sinceGrowthSamples = Number.POSITIVE_INFINITY;
  /** Lowest queue level (ms) seen over the current trim window. */
  #lowestMs = Number.POSITIVE_INFINITY;
  #windowSamples = 0;
  readonly stats: JitterStats;

  constructor(options: Partial<JitterOptions> = {}) {
    this.#options = { ...DEFAULT_JITTER_OPTIONS, ...options };
    this.#targetMs = this.#options.initialTargetMs;
    this.stats = {
      targetMs: this.#targetMs,
      bufferedMs: 0,
      played: 0,
      concealed: 0,
      late: 0,
      trimmed: 0,
      stretched: 0,
      rebuffers: 0,
    };
  }

  get #frameMs(): number {
    return (this.#options.frameSamples / this.#options.sampleRate) * 1000;
  }

  /** Capture time of the sample about to play, or null while nothing plays. */
  get playingCaptureTimeMs(): number | null {
    if (this.#current === null) return null;
    return this.#currentCapture + (this.#offset / this.#options.sampleRate) * 1000;
  }

  push(frame: AudioFrame): void {
    if (this.#nextSeq !== null && seqBefore(frame.seq, this.#nextSeq)) {
      // Its turn has passed: it was concealed. Wait longer from now on (once per stall: a burst
      // of late frames after one hiccup is one reason to grow, not ten).
      this.stats.late++;
      if (
        this.#sinceGrowthSamples >=
        (this.#options.lateEpisodeMs / 1000) * this.#options.sampleRate
      ) {
        this.#grow();
      }
      return;
    }
    this.#frames.set(frame.seq, frame);
    // Nobody is pulling (context suspended): keep the newest frames only.
    const maxFrames = Math.ceil((2 * this.#options.maxTargetMs) / this.#frameMs);
    while (this.#frames.size > maxFrames) this.#frames.delete(this.#oldestSeq());
    this.#updateBuffered();
  }

  /** Fills `out` with the next samples (silence while buffering). */
  pull(out: Float32Array): void {
    let written = 0;
    while (written < out.length) {
      if (this.#current === null || this.#offset >= this.#current.length) {
        if (!this.#advance()) {
          out.fill(0, written);
          break;
        }
      }
      const current = this.#current as Float32Array;
      const count = Math.min(out.length - written, current.length - this.#offset);
      out.set(current.subarray(this.#offset, this.#offset + count), written);
      this.#offset += count;
      written += count;
    }
    this.#adapt(out.length);
    this.#updateBuffered();
  }

  /** Moves to the next frame; false when there is nothing to play (buffering). */
  #advance(): boolean {
    if (this.#nextSeq === null) {
      if (this.#queuedMs() < this.#targetMs) {
        this.#current = null;
        return false;
      }
      this.#nextSeq = this.#oldestSeq();
    }
    const seq = this.#nextSeq as number;
    const frame = this.#frames.get(seq);
    this.#offset = 0;
    if (frame && this.#last && this.#owedStretches > 0) {
      // The target grew: play the last frame again, so everything after it waits a frame longer.
      this.#owedStretches--;
      this.#current = this.#last;
      this.stats.stretched++;
      return true;
    }
    this.#nextSeq = (seq + 1) >>> 0;
    if (frame) {
      this.#frames.delete(seq);
      this.#current = frame.samples;
      this.#currentCapture = frame.captureTimeMs;
      this.#last = frame.samples;
      this.#concealedInARow = 0;
      this.stats.played++;
      return true;
    }
    if (this.#frames.size === 0 && this.#concealedInARow >= MAX_CONCEALED_IN_A_ROW) {
      // Nothing coming (muted, or the link is gone): stop and refill to target before playing.
      this.#nextSeq = null;
      this.#current = null;
      this.#concealedInARow = 0;
      this.stats.rebuffers++;
      return false;
    }
    this.#current = this.#conceal();
    this.#currentCapture += this.#frameMs;
    this.stats.concealed++;
    return true;
  }

  /** The last real frame again, quieter each time in a row: no gap, no click, no stall. */
  #conceal(): Float32Array {
    this.#concealedInARow++;
    const samples = new Float32Array(this.#options.frameSamples);
    const last = this.#last;
    if (last) {
      const gain = CONCEAL_FADE ** this.#concealedInARow;
      for (let i = 0; i < samples.length; i++)
        samples[i] = (last[i % last.length] as number) * gain;
    }
    return samples;
  }

  #grow(): void {
    this.#sinceGrowthSamples = 0;
    if (this.#targetMs + this.#frameMs <= this.#options.maxTargetMs) {
      this.#targetMs += this.#frameMs;
      this.#owedStretches++;
    }
    this.#calmSamples = 0;
    this.stats.targetMs = this.#targetMs;
  }

  /** Shrinks the target after a calm spell; trims a queue that stands well above target. */
  #adapt(samples: number): void {
    if (this.#nextSeq === null) return;
    const rate = this.#options.sampleRate;
    this.#sinceGrowthSamples += samples;
    this.#calmSamples += samples;
    if (this.#calmSamples >= (this.#options.shrinkAfterMs / 1000) * rate) {
      this.#calmSamples = 0;
      this.#targetMs = Math.max(this.#options.minTargetMs, this.#targetMs - this.#frameMs / 2);
      this.stats.targetMs = this.#targetMs;
    }
    this.#lowestMs = Math.min(this.#lowestMs, this.#queuedMs());
    this.#windowSamples += samples;
    if (this.#windowSamples >= rate) {
      // Even at its lowest over the last second the queue held a frame more than needed: skip
      // half the excess now (a burst after a stall), the rest over the next seconds.
      const excess = Math.floor((this.#lowestMs - this.#targetMs) / this.#frameMs);
      if (excess >= 1) this.#trim(Math.ceil(excess / 2));
      this.#lowestMs = Number.POSITIVE_INFINITY;
      this.#windowSamples = 0;
    }
  }

  #trim(frames: number): void {
    for (let i = 0; i < frames; i++) {
      const seq = this.#nextSeq;
      if (seq === null || !this.#frames.has(seq)) return;
      this.#frames.delete(seq);
      this.#nextSeq = (seq + 1) >>> 0;
      this.stats.trimmed++;
    }
  }

  /** Sound queued ahead of the playhead: whole frames waiting plus the rest of the current one. */
  #queuedMs(): number {
    const rest = this.#current ? this.#current.length - this.#offset : 0;
    return (
      ((this.#frames.size * this.#options.frameSamples + rest) / this.#options.sampleRate) * 1000
    );
  }

  #updateBuffered(): void {
    this.stats.bufferedMs = this.#queuedMs();
  }

  #oldestSeq(): number {
    let oldest: number | null = null;
    for (const seq of this.#frames.keys())
      if (oldest === null || seqBefore(seq, oldest)) oldest = seq;
    return oldest as number;
  }
}

/** True when sequence `a` comes before `b` (modulo 2^32, within half the range). */
function seqBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
