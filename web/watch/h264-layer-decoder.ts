// One sender's H.264 layer on this page: a WebCodecs VideoDecoder fed through the key-frame gate
// (key-frame-gate.ts), rebuilt after an error. Every frame handed in is finished exactly once
// (`done`: the page acks it) when its picture comes out, or when it is dropped or lost in a
// failed decoder, so the relay's ack window never stalls on a frame that will never show.
import { codecOfKeyFrame } from "../../protocol/index.ts";
import { h264DecoderConfig } from "./h264-decoder-config.ts";
import { KeyFrameGate } from "./key-frame-gate.ts";
import type { DrawerCounts, IncomingFrame } from "./latest-frame-drawer.ts";

export class H264LayerDecoder {
  readonly #gate = new KeyFrameGate();
  readonly #counts: DrawerCounts;
  /** Takes the picture (and closes it). */
  readonly #picture: (picture: VideoFrame, frame: IncomingFrame) => void;
  #decoder: VideoDecoder | null = null;
  /** Frames in the decoder, by the chunk timestamp given them. */
  readonly #pending = new Map<number, IncomingFrame>();
  #nextTimestamp = 0;

  constructor(counts: DrawerCounts, picture: (picture: VideoFrame, frame: IncomingFrame) => void) {
    this.#counts = counts;
    this.#picture = picture;
  }

  push(unit: Uint8Array, key: boolean, frame: IncomingFrame): void {
    this.#counts.received++;
    const decision = this.#gate.admit(key, key ? codecOfKeyFrame(unit) : null);
    if (decision.action === "drop") {
      this.#counts.dropped++;
      frame.done?.();
      return;
    }
    try {
      if (decision.configure !== null) this.#configure(decision.configure);
      const decoder = this.#decoder;
      if (!decoder) throw new Error("no decoder");
      const timestamp = this.#nextTimestamp++;
      this.#pending.set(timestamp, frame);
      // The chunk copies the bytes: the socket's buffer is free once this returns.
      decoder.decode(new EncodedVideoChunk({ type: key ? "key" : "delta", timestamp, data: unit }));
    } catch {
      // DataError (a delta where a key frame was due), an unsupported config, a closed decoder.
      this.#failed();
      frame.done?.();
    }
  }

  #configure(codec: string): void {
    if (!this.#decoder || this.#decoder.state === "closed") {
      const decoder: VideoDecoder = new VideoDecoder({
        output: (picture) => this.#output(picture),
        error: () => {
          if (decoder === this.#decoder) this.#failed();
        },
      });
      this.#decoder = decoder;
    }
    this.#decoder.configure(h264DecoderConfig(codec));
  }

  #output(picture: VideoFrame): void {
    const timestamp = picture.timestamp;
    // Frames that went in before this one and gave no picture are finished with it.
    for (const [at, earlier] of this.#pending) {
      if (at >= timestamp) break;
      this.#pending.delete(at);
      this.#counts.failed++;
      earlier.done?.();
    }
    const frame = this.#pending.get(timestamp);
    if (!frame) {
      picture.close();
      return;
    }
    this.#pending.delete(timestamp);
    this.#counts.drawn++;
    this.#picture(picture, frame);
    frame.done?.();
  }

  /** A decoder error is terminal: this one goes, the next key frame builds a new one. */
  #failed(): void {
    this.#counts.failed++;
    this.#gate.failed();
    const decoder = this.#decoder;
    this.#decoder = null;
    if (decoder && decoder.state !== "closed") decoder.close();
    this.#finishPending();
  }

  #finishPending(): void {
    const frames = [...this.#pending.values()];
    this.#pending.clear();
    for (const frame of frames) frame.done?.();
  }

  close(): void {
    const decoder = this.#decoder;
    this.#decoder = null;
    if (decoder && decoder.state !== "closed") decoder.close();
    this.#finishPending();
  }
}
