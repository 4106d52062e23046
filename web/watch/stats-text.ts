// How live numbers read on a tile.
import type { MeterReading } from "../../client-core/frame-meter.ts";

/** "9.5 fps" below 10, "15 fps" from there (9.97 reads "10 fps", not "10.0 fps"). */
export function formatFps(fps: number): string {
  return `${fps.toFixed(fps < 9.95 ? 1 : 0)} fps`;
}

/** Sender and viewer clocks may disagree by a few ms: never show a negative delay. */
function formatMs(ms: number): string {
  return `${Math.max(0, Math.round(ms))} ms`;
}

/**
 * A tile's label: fps and latency. `reading` is of frames drawn (capture to screen), `networkMs`
 * of frames arrived (capture to arrival). Frames drawn on arrival: one figure, the network's
 * ("15 fps · 20 ms", as the CLI shows it). Frames held for the sound (`lipSync`): both, so the
 * hold is not mistaken for the network ("15 fps · net 20 ms · shown 120 ms (lip sync)").
 */
export function formatReading(
  reading: MeterReading,
  networkMs: number | null = null,
  lipSync = false,
): string {
  const fps = formatFps(reading.fps);
  const shownMs = reading.latencyMs;
  if (networkMs === null) return shownMs === null ? fps : `${fps} · ${formatMs(shownMs)}`;
  if (!lipSync || shownMs === null) return `${fps} · ${formatMs(networkMs)}`;
  return `${fps} · net ${formatMs(networkMs)} · shown ${formatMs(shownMs)} (lip sync)`;
}

export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond >= 1_000_000
    ? `${(bytesPerSecond / 1_000_000).toFixed(1)} MB/s`
    : `${Math.round(bytesPerSecond / 1000)} kB/s`;
}
