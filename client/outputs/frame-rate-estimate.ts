// The frame rate of a stream we receive, from its first frames. The wire format doesn't carry the
// sender's rate, but the frames' capture times do (the sender paces them); a recording needs it
// up front, because Matroska stores it (ffprobe's r_frame_rate) when the file is opened.

/**
 * Frames looked at before deciding; fewer when the stream is slow (see MAX_WAIT_MS). Each
 * frame's time is off by a few ms (pipe and scheduling jitter, more on a busy machine), so the
 * window must be long enough for that to stay well under half a frame per second: 15 intervals
 * of a 15 fps stream span a second, where 20 ms of jitter moves the estimate by 0.3 fps.
 */
export const FRAMES_TO_ESTIMATE = 16;
/** Longest wait for those frames: a 1 fps stream is estimated from what came in 2 s. */
export const MAX_WAIT_MS = 2000;

/**
 * Whole frames per second (1-60) from frame times in ms (capture times, or arrival times when
 * the sender gives none), or null with fewer than two distinct times. The mean interval, over
 * the intervals within half to one and a half times the median: ffmpeg's pacing alternates
 * (61 and 71 ms at 15 fps, whose median alone reads 14 fps), while a skipped or late frame
 * (twice the interval, or almost none) is left out.
 */
export function estimateFps(timesMs: readonly number[]): number | null {
  const intervals: number[] = [];
  for (let i = 1; i < timesMs.length; i++) {
    const interval = (timesMs[i] ?? 0) - (timesMs[i - 1] ?? 0);
    if (interval > 0) intervals.push(interval);
  }
  if (intervals.length === 0) return null;
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const typical = intervals.filter(
    (interval) => interval >= median / 2 && interval <= median * 1.5,
  );
  const mean = typical.reduce((sum, interval) => sum + interval, 0) / typical.length;
  return Math.min(60, Math.max(1, Math.round(1000 / mean)));
}
