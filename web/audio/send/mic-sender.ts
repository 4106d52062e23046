// Your microphone to the room: getUserMedia (echo cancellation, noise suppression, auto gain) →
// MediaStreamTrackProcessor → WebCodecs AudioEncoder (Opus, 20 ms, 32 kbit/s) → one kind-3
// message per packet. Announces the track (audio_track) on start, on every welcome and on
// mute/unmute; while muted the track is disabled and nothing is sent.

import type { FrameEncryptor } from "../../../client-core/frame-encryptor.ts";
import { audioCongested } from "../../../client-core/send-policy.ts";
import { audioTrackAnnouncement, encodeAudioPacket } from "../../../protocol/index.ts";

// Chromium's MediaStreamTrackProcessor, which TypeScript's DOM library does not describe yet.
declare class MediaStreamTrackProcessor<T> {
  constructor(init: { track: MediaStreamTrack });
  readonly readable: ReadableStream<T>;
}

export const OPUS_BITRATE = 32_000;
const FRAME_DURATION_US = 20_000;

export type MicResult = { ok: true } | { ok: false; message: string };

export interface MicCounts {
  sent: number;
  sentBytes: number;
  skipped: number;
}

export class MicSender {
  readonly counts: MicCounts = { sent: 0, sentBytes: 0, skipped: 0 };
  readonly #socket: () => WebSocket | null;
  #stream: MediaStream | null = null;
  #encoder: AudioEncoder | null = null;
  #reader: ReadableStreamDefaultReader<AudioData> | null = null;
  #channels: 1 | 2 = 1;
  #sequence = 0;
  /** Wall-clock ms of encoder timestamp 0 (smallest arrival − end seen so far). */
  #origin = Number.POSITIVE_INFINITY;
  muted = false;

  /** In an end-to-end encrypted room: the page's one encryptor, shared with the camera. */
  readonly #encryptor: FrameEncryptor | null;

  constructor(socket: () => WebSocket | null, encryptor: FrameEncryptor | null = null) {
    this.#socket = socket;
    this.#encryptor = encryptor;
  }

  get running(): boolean {
    return this.#stream !== null;
  }

  async start(): Promise<MicResult> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          echoCancellation: true,
          noiseSuppression: true,
          autoGainControl: true,
          channelCount: 1,
        },
      });
    } catch (error) {
      return { ok: false, message: describeMicError(error) };
    }
    const track = stream.getAudioTracks()[0];
    if (!track) return { ok: false, message: "No microphone was found." };
    this.#stream = stream;
    this.muted = false;
    this.#origin = Number.POSITIVE_INFINITY;
    const reader = new MediaStreamTrackProcessor<AudioData>({ track }).readable.getReader();
    this.#reader = reader;
    void this.#pump(reader);
    return { ok: true };
  }

  stop(): void {
    void this.#reader?.cancel().catch(() => {});
    this.#reader = null;
    if (this.#encoder && this.#encoder.state !== "closed") this.#encoder.close();
    this.#encoder = null;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    // Receivers learn the microphone is off: treated like a mute.
    this.#socket()?.send(JSON.stringify(audioTrackAnnouncement(true, this.#channels)));
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    for (const track of this.#stream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.announce();
  }

  /** Tells the room about the track (after each welcome: the relay forgets it with the socket). */
  announce(): void {
    if (!this.#stream) return;
    this.#socket()?.send(JSON.stringify(audioTrackAnnouncement(this.muted, this.#channels)));
  }

  async #pump(reader: ReadableStreamDefaultReader<AudioData>): Promise<void> {
    for (;;) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch {
        return;
      }
      if (result.done) return;
      const data = result.value;
      try {
        if (this.muted || reader !== this.#reader) continue;
        const encoder = this.#encoder ?? this.#configure(data);
        if (encoder.state === "configured") encoder.encode(data);
      } finally {
        data.close();
      }
    }
  }

  #configure(first: AudioData): AudioEncoder {
    this.#channels = first.numberOfChannels >= 2 ? 2 : 1;
    const encoder = new AudioEncoder({
      output: (chunk) => this.#send(chunk),
      error: () => {
        this.counts.skipped++;
      },
    });
    encoder.configure({
      codec: "opus",
      sampleRate: first.sampleRate,
      numberOfChannels: this.#channels,
      bitrate: OPUS_BITRATE,
      opus: { frameDuration: FRAME_DURATION_US },
    } as AudioEncoderConfig);
    this.#encoder = encoder;
    this.announce();
    return encoder;
  }

  #send(chunk: EncodedAudioChunk): void {
    // Stamp: encoder time mapped to the wall clock by the earliest (least delayed) output seen.
    const now = performance.timeOrigin + performance.now();
    const endMs = (chunk.timestamp + (chunk.duration ?? FRAME_DURATION_US)) / 1000;
    this.#origin = Math.min(this.#origin, now - endMs);
    const captureTimeMs = this.#origin + chunk.timestamp / 1000;
    const sequence = this.#sequence++;
    const socket = this.#socket();
    if (!socket || audioCongested(socket.bufferedAmount)) {
      this.counts.skipped++;
      return;
    }
    const opus = new Uint8Array(chunk.byteLength);
    chunk.copyTo(opus);
    const message = encodeAudioPacket(opus, captureTimeMs, sequence);
    if (this.#encryptor) {
      void this.#encryptor.seal(message).then((sealed) => this.#sendMessage(sealed));
      return;
    }
    this.#sendMessage(message);
  }

  #sendMessage(message: Uint8Array<ArrayBuffer>): void {
    const socket = this.#socket();
    if (!socket) {
      this.counts.skipped++;
      return;
    }
    socket.send(message);
    this.counts.sent++;
    this.counts.sentBytes += message.byteLength;
  }
}

function describeMicError(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The browser (or you) didn't allow the microphone. Allow it in the site settings and try again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No microphone was found.";
    case "NotReadableError":
    case "AbortError":
      return "The microphone is busy or failed to start (another app may be using it).";
    default:
      return `The microphone could not be opened${error instanceof Error ? `: ${error.message}` : "."}`;
  }
}
