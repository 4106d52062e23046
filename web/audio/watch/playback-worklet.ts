// The AudioWorklet of one remote participant's sound (bundled on its own, served as
// /assets/playback-worklet.js): decoded 20 ms frames come in over the port, the jitter buffer
// (jitter-buffer.ts) turns them into a steady stream, and a few times a second the node reports
// what it plays (capture time, for lip sync), how loud (speaking indicator) and its buffer stats.

import type { FromWorklet, ToWorklet } from "../worklet-messages.ts";
import { JitterBuffer } from "./jitter-buffer.ts";

// The AudioWorkletGlobalScope, which TypeScript's DOM library does not describe.
declare const sampleRate: number;
declare const currentTime: number;
declare function registerProcessor(name: string, processor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

/** Reports per second (every 2400 samples at 48 kHz). */
const REPORT_EVERY_SECONDS = 0.05;
/** Output kept for snapshot requests (tests measure the tone's frequency from it). */
const SNAPSHOT_SAMPLES = 16_384;

class PlaybackProcessor extends AudioWorkletProcessor {
  readonly #buffer = new JitterBuffer({ sampleRate, frameSamples: Math.round(sampleRate * 0.02) });
  readonly #history = new Float32Array(SNAPSHOT_SAMPLES);
  #historyAt = 0;
  #sinceReport = 0;
  #energy = 0;
  #energySamples = 0;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<ToWorklet>) => {
      const message = event.data;
      if (message.type === "frame") this.#buffer.push(message);
      else if (message.type === "snapshot") this.#snapshot(message.id);
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0];
    const first = output?.[0];
    if (!output || !first) return true;
    this.#buffer.pull(first);
    for (let c = 1; c < output.length; c++) output[c]?.set(first);
    for (let i = 0; i < first.length; i++) {
      const v = first[i] as number;
      this.#energy += v * v;
      this.#history[this.#historyAt] = v;
      this.#historyAt = (this.#historyAt + 1) % SNAPSHOT_SAMPLES;
    }
    this.#energySamples += first.length;
    this.#sinceReport += first.length;
    if (this.#sinceReport >= REPORT_EVERY_SECONDS * sampleRate) this.#report();
    return true;
  }

  #report(): void {
    const message: FromWorklet = {
      type: "state",
      contextTime: currentTime,
      captureTimeMs: this.#buffer.playingCaptureTimeMs,
      level: Math.sqrt(this.#energy / Math.max(1, this.#energySamples)),
      stats: { ...this.#buffer.stats },
    };
    this.port.postMessage(message);
    this.#sinceReport = 0;
    this.#energy = 0;
    this.#energySamples = 0;
  }

  #snapshot(id: number): void {
    const samples = new Float32Array(SNAPSHOT_SAMPLES);
    samples.set(this.#history.subarray(this.#historyAt), 0);
    samples.set(this.#history.subarray(0, this.#historyAt), SNAPSHOT_SAMPLES - this.#historyAt);
    const message: FromWorklet = { type: "snapshot", id, samples, sampleRate };
    this.port.postMessage(message, [samples.buffer]);
  }
}

registerProcessor("framecast-playback", PlaybackProcessor);
