// The recorder's picture timeline (client/outputs/recorder.ts): a constant-rate grid of slots from
// an origin; a frame goes to the slot its capture time falls in, a gap is filled by repeating the
// previous frame (up to MAX_FILL_SECONDS; a longer pause moves the origin), and a frame early for
// a slot already taken is dropped. Pure arithmetic, so it is tested on made-up times.

/** Longest gap filled with repeats; a longer pause (camera off) is shortened to this. */
export const MAX_FILL_SECONDS = 5;

export interface Placement {
  /** Copies of the previous frame to write before this one. */
  repeats: number;
  /** The grid's origin from now on (moved forward past a long pause). */
  originMs: number;
}

/** Where a frame captured at `timeMs` goes, given `written` frames so far; null: drop it. */
export function placePicture(
  timeMs: number,
  originMs: number,
  written: number,
  fps: number,
  hasPrevious: boolean,
): Placement | null {
  const slot = Math.round(((timeMs - originMs) * fps) / 1000);
  // Up to one slot early is jitter: it takes the next slot. Earlier than that: a frame too many.
  if (slot < written - 1) return null;
  const maxFill = MAX_FILL_SECONDS * fps;
  const repeats = hasPrevious ? Math.min(maxFill, Math.max(0, slot - written)) : 0;
  // A long pause: the timeline continues after the shortened gap.
  const shift = slot - written > maxFill ? ((slot - written - maxFill) * 1000) / fps : 0;
  return { repeats, originMs: originMs + shift };
}

/**
 * How much later than its capture time the newest picture sits in the file (`written` counts it),
 * smoothed: the sound follows the same offset, so both stay together.
 */
export function pictureLag(
  previousLagMs: number | null,
  written: number,
  fps: number,
  timeMs: number,
  originMs: number,
): number {
  const lagMs = ((written - 1) * 1000) / fps - (timeMs - originMs);
  return previousLagMs === null ? lagMs : previousLagMs + (lagMs - previousLagMs) * 0.1;
}
