// Lip sync, as pure code: audio is the clock. Decoded video frames wait here until the sound
// being heard reaches their capture time; a frame replaces the one on screen once it is closer
// to the sound than that one, and never while it is more than AUDIO_LAGS_MS ahead of the sound,
// so the picture is at most half a frame interval off the sound. ITU-R BT.1359: viewers notice sound leading the
// picture by more than 45 ms, or lagging it by more than 125 ms.

/** Sound may lead the picture by at most this (ms). */
export const AUDIO_LEADS_MS = 45;
/** Sound may lag the picture by at most this (ms). */
export const AUDIO_LAGS_MS = 125;
/** Frames held at most: a clock that runs far behind would otherwise keep every frame. */
export const MAX_HELD_FRAMES = 12;

export interface HeldFrame<T> {
  item: T;
  captureTimeMs: number;
}

export interface Choice<T> {
  /** The frame to draw now (null: keep what is on screen). */
  show: HeldFrame<T> | null;
  /** Frames that will never be shown (older than `show`, or over the limit): release them. */
  discard: HeldFrame<T>[];
}

/** Frames waiting for the sound, oldest first. */
export class LipSyncQueue<T> {
  readonly #frames: HeldFrame<T>[] = [];

  get size(): number {
    return this.#frames.length;
  }

  push(item: T, captureTimeMs: number): HeldFrame<T>[] {
    const frame = { item, captureTimeMs };
    let at = this.#frames.length;
    while (at > 0 && (this.#frames[at - 1] as HeldFrame<T>).captureTimeMs > captureTimeMs) at--;
    this.#frames.splice(at, 0, frame);
    // Over the limit: the oldest go (they would be the first shown; the clock is far behind).
    return this.#frames.length > MAX_HELD_FRAMES
      ? this.#frames.splice(0, this.#frames.length - MAX_HELD_FRAMES)
      : [];
  }

  /**
   * What to show when the sound heard now was captured at `audioMs` and the frame on screen at
   * `shownMs`: the held frame closest to the sound, if it is closer than the one on screen and
   * not ahead of the sound by more than AUDIO_LAGS_MS. Null `audioMs` (no sound playing): the
   * newest frame, at once, as without audio.
   */
  choose(audioMs: number | null, shownMs: number | null = null): Choice<T> {
    const frames = this.#frames;
    if (frames.length === 0) return { show: null, discard: [] };
    let best = -1;
    if (audioMs === null) {
      best = frames.length - 1;
    } else {
      for (let i = 0; i < frames.length; i++) {
        const offset = (frames[i] as HeldFrame<T>).captureTimeMs - audioMs;
        if (offset > AUDIO_LAGS_MS) break;
        const bestOffset =
          best < 0
            ? Number.POSITIVE_INFINITY
            : Math.abs((frames[best] as HeldFrame<T>).captureTimeMs - audioMs);
        if (Math.abs(offset) <= bestOffset) best = i;
      }
    }
    if (best < 0) return { show: null, discard: [] };
    if (audioMs !== null && shownMs !== null) {
      const candidate = Math.abs((frames[best] as HeldFrame<T>).captureTimeMs - audioMs);
      // The frame on screen is still the better match: wait (frames older than it can go).
      if (candidate > Math.abs(shownMs - audioMs)) {
        let stale = 0;
        while (stale < frames.length && (frames[stale] as HeldFrame<T>).captureTimeMs <= shownMs)
          stale++;
        return { show: null, discard: frames.splice(0, stale) };
      }
    }
    const discard = frames.splice(0, best + 1);
    const show = discard.pop() as HeldFrame<T>;
    return { show, discard };
  }

  /** Everything still held (the tile goes away). */
  drain(): HeldFrame<T>[] {
    return this.#frames.splice(0);
  }
}
