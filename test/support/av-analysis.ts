// Reads a recording back to measure sound against picture: when the picture flashes (mean
// brightness jumps) and when the sound beeps (loudness jumps), on the file's own timeline.
import { FFMPEG, FFPROBE } from "../../harness/tools.ts";

/** Decoded sound of the file's first audio stream: mono 48 kHz floats, sample 0 at time 0. */
export function decodeAudio(path: string): Float32Array {
  const result = Bun.spawnSync(
    [FFMPEG, "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a:0", "-copyts"].concat([
      // Gaps and overlaps follow the packets' timestamps; silence before the first one.
      "-af",
      "aresample=async=1:first_pts=0",
      "-ac",
      "1",
      "-ar",
      "48000",
      "-f",
      "f32le",
      "pipe:1",
    ]),
    { timeout: 60_000 },
  );
  if (result.exitCode !== 0) throw new Error(`ffmpeg could not decode ${path}: ${result.stderr}`);
  const bytes = new Uint8Array(result.stdout);
  return new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
}

/** Times (s) at which the sound turns on: 5 ms windows going from quiet to loud. */
export function beepOnsets(samples: Float32Array, rate = 48_000): number[] {
  const window = Math.round(rate * 0.005);
  const onsets: number[] = [];
  let quiet = true;
  for (let start = 0; start + window <= samples.length; start += window) {
    let sum = 0;
    for (let i = start; i < start + window; i++) sum += (samples[i] as number) ** 2;
    const level = Math.sqrt(sum / window);
    if (quiet && level > 0.05) {
      onsets.push(start / rate);
      quiet = false;
    } else if (!quiet && level < 0.01) {
      quiet = true;
    }
  }
  return onsets;
}

/** Each video frame's time (s) and mean brightness (0-255). */
export function videoBrightness(path: string): Array<{ time: number; luma: number }> {
  const result = Bun.spawnSync(
    [FFPROBE, "-v", "error", "-f", "lavfi", "-i", `movie=${path},signalstats`].concat([
      "-show_entries",
      "frame=pts_time:frame_tags=lavfi.signalstats.YAVG",
      "-of",
      "csv=p=0",
    ]),
    { timeout: 60_000 },
  );
  if (result.exitCode !== 0) throw new Error(`ffprobe could not read ${path}: ${result.stderr}`);
  return result.stdout
    .toString()
    .trim()
    .split("\n")
    .map((line) => line.split(","))
    .map(([time, luma]) => ({ time: Number(time), luma: Number(luma) }))
    .filter((frame) => Number.isFinite(frame.time) && Number.isFinite(frame.luma));
}

/** Times (s) of the frames where the picture turns bright. */
export function flashOnsets(frames: Array<{ time: number; luma: number }>): number[] {
  const onsets: number[] = [];
  let dark = true;
  for (const frame of frames) {
    if (dark && frame.luma > 128) {
      onsets.push(frame.time);
      dark = false;
    } else if (!dark && frame.luma < 64) {
      dark = true;
    }
  }
  return onsets;
}

/**
 * Sound minus picture (ms) for each flash with a beep within half a second: > 0 the sound comes
 * later than the picture (ITU-R BT.1359 allows up to 125 ms), < 0 earlier (up to 45 ms).
 */
export function avOffsetsMs(flashes: number[], beeps: number[]): number[] {
  const offsets: number[] = [];
  for (const flash of flashes) {
    let best: number | null = null;
    for (const beep of beeps)
      if (best === null || Math.abs(beep - flash) < Math.abs(best - flash)) best = beep;
    if (best !== null && Math.abs(best - flash) < 0.5) offsets.push((best - flash) * 1000);
  }
  return offsets;
}
