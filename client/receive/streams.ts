// What the receive side knows about each incoming stream, and the interface every output
// (status board, recorder, viewer) implements.
import type { AudioTrackInfo } from "../../protocol/index.ts";

export interface StreamInfo {
  /** Relay-assigned participant id; 0 for the single unnamed stream of a base64-only relay. */
  id: number;
  name: string;
}

export interface FrameSink {
  /**
   * One received JPEG. `jpeg` may be a view into a larger buffer; copy to keep it.
   * `captureTimeMs`: the sender's capture time (ms since the epoch); null on the old protocol.
   */
  frame(stream: StreamInfo, jpeg: Uint8Array, captureTimeMs: number | null): void;
  /**
   * One received H.264 access unit (Annex B; a key frame carries SPS+PPS). The relay starts
   * every receiver on a key frame and never sends a delta whose reference it did not deliver.
   * Outputs without it (the sound player) ignore H.264. Copy `unit` to keep it.
   */
  h264?(stream: StreamInfo, unit: Uint8Array, captureTimeMs: number, key: boolean): void;
  /** The participant announced (or changed) its audio track; only called when sound is wanted. */
  audioTrack?(stream: StreamInfo, track: AudioTrackInfo): void;
  /** One received Opus packet (20 ms), with its capture time. Copy `opus` to keep it. */
  audio?(stream: StreamInfo, opus: Uint8Array, captureTimeMs: number): void;
  /** The participant left (or our connection dropped): finish anything open for it. */
  end(stream: StreamInfo): void;
  /** Finish everything (files closed cleanly, processes stopped). */
  close(): Promise<void>;
}

/** Makes a participant name safe as part of a file name. */
export function fileSafeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[._]+/, "");
  return safe.slice(0, 48) || "participant";
}
