// Formats the live status block: one line for what we send, one per participant we receive.

import { CRYPTO_STATE_TEXT } from "../client-core/frame-decryptor.ts";
import { formatLayerSize, type LayerSize } from "../protocol/index.ts";
import type { RecordingProgress } from "./outputs/recorder.ts";
import type { StreamStats } from "./receive/stream-stats.ts";
import type { StreamInfo } from "./receive/streams.ts";

export interface SendStatus {
  name: string;
  id: number | null;
  connected: boolean;
  fps: number;
  kBps: number;
  skipped: number;
  /** How many sizes we send (docs/PROTOCOL.md, Layers). */
  layers: number;
  /** The codecs sent now ("h264", "h264+jpeg", "jpeg"); unsaid on the old protocol. */
  codecs?: string;
}

export function sendLine(status: SendStatus | null, connected: boolean): string {
  const state = connected ? "connected" : "reconnecting";
  if (!status) return `me: receiving only [${state}]`;
  const who = status.id === null ? status.name : `${status.name} #${status.id}`;
  return (
    `me (${who}): sending ${status.fps.toFixed(1)} fps ` +
    `${status.codecs ? `${status.codecs} ` : ""}` +
    `${status.layers > 1 ? `x ${status.layers} layers ` : ""}${status.kBps.toFixed(1)} kB/s, ` +
    `skipped ${status.skipped} [${state}]`
  );
}

/** "layer 1 (320x240)": which of the sender's sizes we get now. */
export function layerText(layer: number | null, layers: readonly LayerSize[] | undefined): string {
  if (layer === null) return "";
  const size = layers?.[layer];
  return `, layer ${layer}${size ? ` (${formatLayerSize(size)})` : ""}`;
}

export function streamLine(
  stream: StreamInfo,
  stats: StreamStats,
  layers?: readonly LayerSize[],
  recording: RecordingProgress | null = null,
): string {
  const window = stats.read();
  const latency = window.latencyMs === null ? "-" : `${Math.round(window.latencyMs)} ms`;
  const who = stream.id === 0 ? stream.name : `${stream.name} #${stream.id}`;
  if (stats.cryptoState !== "ok") {
    // Say why there is no picture rather than show rates of frames nobody can see.
    return `${who}: ${CRYPTO_STATE_TEXT[stats.cryptoState]}, ${stats.undecryptable} frames dropped`;
  }
  return (
    `${who}: ${window.fps.toFixed(1)} fps ${stats.codec ? `${stats.codec} ` : ""}` +
    `${window.kBps.toFixed(1)} kB/s, latency ${latency}` +
    `${layerText(stats.layer, layers)}, dropped ${stats.dropped}, frames ${stats.totalFrames}` +
    recordingText(recording)
  );
}

function recordingText(recording: RecordingProgress | null): string {
  if (!recording) return "";
  if (recording.fps === null) return `; recording to ${recording.path} (measuring its frame rate)`;
  return `; recorded ${recording.frames} frames to ${recording.path} (${recording.fps} fps)`;
}
