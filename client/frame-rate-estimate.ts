// The frame rate of a stream we receive, from its first frames. The wire format doesn't carry the
// sender's rate, but the frames' capture times do (the sender paces them); a recording needs it
// up front, because Matroska stores it (ffprobe's r_frame_rate) when the file is opened.

/** Frames looked at before deciding; fewer when the stream is slow (see MAX_WAIT_MS). */
export const FRAMES_TO_ESTIMATE = 8;
/** Longest wait for those frames: a 1 fps stream is estimated from what came in 2 s. */
export const MAX_WAIT_MS = 2000;

/**
 * Whole frames per second (1-60) from frame times in ms (capture times, or arrival times when
 * the sender gives none), or null with fewer than two distinct times. The median interval
 * shrugs off one late or skipped frame.
 */
export function estimateFps(timesMs: readonly number[]): number | null {
  const intervals: number[] = [];
  for (let i = 1; i < timesMs.length; i++) {
    const interval = (timesMs[i] ?? 0) - (timesMs[i - 1] ?? 0);
    if (interval > 0) intervals.push(interval);
  }
  if (intervals.length === 0) return null;
  intervals.sort((a, b) => a - b);
  const middle = intervals.length / 2;
  const median = Number.isInteger(middle)
    ? ((intervals[middle - 1] ?? 0) + (intervals[middle] ?? 0)) / 2
    : (intervals[Math.floor(middle)] ?? 0);
  return Math.min(60, Math.max(1, Math.round(1000 / median)));
}
