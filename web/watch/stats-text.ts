// How live numbers read on a tile.
import type { MeterReading } from "../../client-core/frame-meter.ts";

/** "9.5 fps" below 10, "15 fps" from there (9.97 reads "10 fps", not "10.0 fps"). */
export function formatFps(fps: number): string {
  return `${fps.toFixed(fps < 9.95 ? 1 : 0)} fps`;
}

export function formatReading(reading: MeterReading): string {
  const fps = formatFps(reading.fps);
  if (reading.latencyMs === null) return fps;
  // Sender and viewer clocks may disagree by a few ms: never show a negative delay.
  return `${fps} · ${Math.max(0, Math.round(reading.latencyMs))} ms`;
}

export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond >= 1_000_000
    ? `${(bytesPerSecond / 1_000_000).toFixed(1)} MB/s`
    : `${Math.round(bytesPerSecond / 1000)} kB/s`;
}
