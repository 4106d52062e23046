// Figures of what a receiver got over a span of time: frames per second, frame age (receive
// time − capture time, same machine) and the layers seen. Shared by the layers test and bench.
import { readCaptureTime, readLayer } from "../protocol/index.ts";

export interface ReceivedFrames {
  readonly frames: readonly Uint8Array[];
  /** Receive time of each frame (ms since epoch), parallel to `frames`. */
  readonly times: readonly number[];
  /** Bytes of each frame when `frames` holds only headers. */
  readonly sizes?: readonly number[];
}

export interface FrameFigures {
  frames: number;
  fps: number;
  p50AgeMs: number;
  p95AgeMs: number;
  bytes: number;
  /** Frames per layer id. */
  perLayer: number[];
}

export function figuresBetween(peer: ReceivedFrames, fromMs: number, toMs: number): FrameFigures {
  const ages: number[] = [];
  const perLayer = [0, 0, 0];
  let bytes = 0;
  peer.times.forEach((time, index) => {
    if (time < fromMs || time >= toMs) return;
    const frame = peer.frames[index] as Uint8Array;
    ages.push(time - readCaptureTime(frame));
    const layer = readLayer(frame);
    perLayer[layer] = (perLayer[layer] ?? 0) + 1;
    bytes += peer.sizes?.[index] ?? frame.byteLength;
  });
  ages.sort((a, b) => a - b);
  const at = (q: number) =>
    ages[Math.min(ages.length - 1, Math.floor(q * ages.length))] ?? Number.NaN;
  return {
    frames: ages.length,
    fps: (ages.length * 1000) / Math.max(1, toMs - fromMs),
    p50AgeMs: at(0.5),
    p95AgeMs: at(0.95),
    bytes,
    perLayer,
  };
}

/** Receive time of the first frame of `layer` at or after `fromMs`, or null. */
export function firstOfLayer(peer: ReceivedFrames, layer: number, fromMs: number): number | null {
  for (let index = 0; index < peer.times.length; index++) {
    const time = peer.times[index] as number;
    if (time >= fromMs && readLayer(peer.frames[index] as Uint8Array) === layer) return time;
  }
  return null;
}

export function describeFigures(figures: FrameFigures): string {
  return (
    `${figures.fps.toFixed(1)} fps, age p50 ${figures.p50AgeMs.toFixed(0)} ms ` +
    `p95 ${figures.p95AgeMs.toFixed(0)} ms, ${(figures.bytes / 1000).toFixed(0)} kB, ` +
    `frames per layer ${figures.perLayer.join("/")}`
  );
}
