// One other participant's sound: WebCodecs AudioDecoder (Opus) → playback worklet (jitter
// buffer) → a gain node (local mute) → the speakers. Also the clock lip sync follows: the capture
// time of what is audible now.
import {
  type AudioTrackInfo,
  framePayload,
  OPUS_SAMPLE_RATE,
  readCaptureTime,
  readSequence,
} from "../../../protocol/index.ts";
import { type FromWorklet, PLAYBACK_PROCESSOR, type ToWorklet } from "../worklet-messages.ts";
import type { JitterStats } from "./jitter-buffer.ts";

/** Louder than this (RMS) counts as speaking. */
const SPEAKING_LEVEL = 0.01;
/** The indicator stays on this long after the level drops (no flicker between words). */
const SPEAKING_HOLD_MS = 300;
/** A playing-state report older than this means nothing is playing (sender muted or gone). */
const CLOCK_STALE_MS = 250;

export class RemoteAudio {
  readonly #context: AudioContext;
  readonly #node: AudioWorkletNode;
  readonly #gain: GainNode;
  #decoder: AudioDecoder | null = null;
  #track: AudioTrackInfo | null = null;
  /** Sequence and capture time of the packets in the decoder, by decode timestamp. */
  readonly #pending = new Map<number, { seq: number; captureTimeMs: number }>();
  #state: Extract<FromWorklet, { type: "state" }> | null = null;
  #stateAt = 0;
  #speakingUntil = 0;
  #snapshotWaiters = new Map<number, (samples: Float32Array) => void>();
  #nextSnapshot = 1;
  packets = 0;
  decodeErrors = 0;
  locallyMuted = false;

  constructor(context: AudioContext) {
    this.#context = context;
    this.#node = new AudioWorkletNode(context, PLAYBACK_PROCESSOR, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    this.#gain = new GainNode(context);
    this.#node.connect(this.#gain).connect(context.destination);
    this.#node.port.onmessage = (event: MessageEvent<FromWorklet>) => this.#fromWorklet(event.data);
  }

  get track(): AudioTrackInfo | null {
    return this.#track;
  }

  /** The sender's announcement (codec, rate, channels, muted). */
  setTrack(track: AudioTrackInfo): void {
    const changed =
      !this.#track ||
      this.#track.sampleRate !== track.sampleRate ||
      this.#track.channels !== track.channels;
    this.#track = track;
    if (changed) this.#configure(track);
  }

  packet(message: Uint8Array): void {
    // Packets before any announcement (a relay in a cluster does not pass tracks on): assume
    // what every framecast sender sends.
    if (!this.#decoder)
      this.setTrack({ codec: "opus", sampleRate: OPUS_SAMPLE_RATE, channels: 1, muted: false });
    const decoder = this.#decoder;
    if (decoder?.state !== "configured") return;
    this.packets++;
    const seq = readSequence(message);
    // Timestamps only need to be unique per packet: the sequence, 20 ms apart.
    const timestamp = seq * 20_000;
    this.#pending.set(timestamp, { seq, captureTimeMs: readCaptureTime(message) });
    decoder.decode(new EncodedAudioChunk({ type: "key", timestamp, data: framePayload(message) }));
  }

  setLocallyMuted(muted: boolean): void {
    this.locallyMuted = muted;
    this.#gain.gain.value = muted ? 0 : 1;
  }

  get speaking(): boolean {
    return performance.now() < this.#speakingUntil;
  }

  get stats(): JitterStats | null {
    return this.#state?.stats ?? null;
  }

  get level(): number {
    return this.#state?.level ?? 0;
  }

  /**
   * Capture time (sender's clock, ms since epoch) of the sound coming out of the speakers at
   * `performanceNowMs`, or null when nothing of this participant is playing.
   */
  audibleCaptureTimeMs(performanceNowMs: number): number | null {
    const state = this.#state;
    if (!state || state.captureTimeMs === null) return null;
    if (performanceNowMs - this.#stateAt > CLOCK_STALE_MS) return null;
    // What is audible now was rendered at this context time (output latency included).
    const output = this.#context.getOutputTimestamp();
    const audibleContextTime =
      output.contextTime !== undefined && output.performanceTime !== undefined
        ? output.contextTime + (performanceNowMs - output.performanceTime) / 1000
        : this.#context.currentTime - this.#context.baseLatency;
    return state.captureTimeMs + (audibleContextTime - state.contextTime) * 1000;
  }

  /** The last 16384 samples played (for tests: the frequency a listener hears). */
  snapshot(): Promise<{ samples: Float32Array; sampleRate: number }> {
    const id = this.#nextSnapshot++;
    return new Promise((resolve) => {
      this.#snapshotWaiters.set(id, (samples) =>
        resolve({ samples, sampleRate: this.#context.sampleRate }),
      );
      this.#post({ type: "snapshot", id });
    });
  }

  dispose(): void {
    if (this.#decoder && this.#decoder.state !== "closed") this.#decoder.close();
    this.#node.port.onmessage = null;
    this.#node.disconnect();
    this.#gain.disconnect();
  }

  #configure(track: AudioTrackInfo): void {
    if (this.#decoder && this.#decoder.state !== "closed") this.#decoder.close();
    this.#pending.clear();
    const decoder = new AudioDecoder({
      output: (data) => this.#decoded(data),
      error: () => {
        this.decodeErrors++;
      },
    });
    decoder.configure({
      codec: "opus",
      sampleRate: track.sampleRate,
      numberOfChannels: track.channels,
    });
    this.#decoder = decoder;
  }

  #decoded(data: AudioData): void {
    // Decoders keep the chunk's timestamp; if one ever doesn't, packets come out in order.
    const key = this.#pending.has(data.timestamp)
      ? data.timestamp
      : (this.#pending.keys().next().value as number | undefined);
    const origin = key === undefined ? undefined : this.#pending.get(key);
    if (key !== undefined) this.#pending.delete(key);
    try {
      if (!origin) return;
      const samples = new Float32Array(data.numberOfFrames);
      // First channel only: the playback path is mono.
      data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
      this.#post({ type: "frame", seq: origin.seq, captureTimeMs: origin.captureTimeMs, samples }, [
        samples.buffer,
      ]);
    } finally {
      data.close();
    }
  }

  #fromWorklet(message: FromWorklet): void {
    if (message.type === "snapshot") {
      this.#snapshotWaiters.get(message.id)?.(message.samples);
      this.#snapshotWaiters.delete(message.id);
      return;
    }
    this.#state = message;
    this.#stateAt = performance.now();
    if (message.level > SPEAKING_LEVEL && !this.locallyMuted) {
      this.#speakingUntil = performance.now() + SPEAKING_HOLD_MS;
    }
  }

  #post(message: ToWorklet, transfer: Transferable[] = []): void {
    this.#node.port.postMessage(message, transfer);
  }
}
