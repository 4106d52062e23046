// Messages between the page and its playback worklet (playback-worklet.ts).
import type { AudioFrame, JitterStats } from "./watch/jitter-buffer.ts";

export type ToWorklet = ({ type: "frame" } & AudioFrame) | { type: "snapshot"; id: number };

export type FromWorklet =
  | {
      type: "state";
      /** The worklet's currentTime when this was measured. */
      contextTime: number;
      /** Capture time of the sample playing at contextTime (null: nothing plays). */
      captureTimeMs: number | null;
      /** RMS of the output since the last report (0..1). */
      level: number;
      stats: JitterStats;
    }
  | { type: "snapshot"; id: number; samples: Float32Array; sampleRate: number };

export const PLAYBACK_PROCESSOR = "framecast-playback";
/** Where the relay serves the bundled worklet (relay/http/web-page.ts). */
export const PLAYBACK_WORKLET_URL = "/assets/playback-worklet.js";
