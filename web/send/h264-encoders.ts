// The page's H.264: one WebCodecs VideoEncoder per layer, fed the same canvases the JPEG layers
// come from (layer-encoder.ts). Settings per layer size in h264-config.ts, key frames by
// keyframe-schedule.ts. Every chunk an encoder outputs goes to `onChunk` in order: a chunk that
// is not sent breaks the stream for every receiver, so skipping happens before encoding (a
// frame the encoder never saw breaks nothing), and whoever drops a chunk after all asks for a
// key frame (requestKey).
import type { LayerSize } from "../../protocol/index.ts";
import { h264EncoderConfig } from "./h264-config.ts";
import { KeyframeSchedule } from "./keyframe-schedule.ts";

export interface H264Chunk {
  /** One access unit, Annex B; SPS+PPS before every IDR. */
  data: Uint8Array;
  key: boolean;
  /** metadata.svc.temporalLayerId (0 without temporal layers). */
  temporalLayer: number;
  layer: number;
  captureTimeMs: number;
  sequence: number;
  /** The `generation` at encode time: chunks of an older one belong to a closed connection. */
  generation: number;
}

/** Frames an encoder may hold before the next grab skips that layer (realtime: about one). */
const MAX_QUEUED = 2;
/** Encoder errors in a row after which H.264 is given up (the page sends JPEG). */
const MAX_FAILURES = 3;

interface LayerEncoder {
  encoder: VideoEncoder | null;
  /** size, fps: a change reconfigures. */
  configKey: string;
  /** isConfigSupported is still being asked. */
  configuring: boolean;
  schedule: KeyframeSchedule;
  /** Frames in the encoder by timestamp: their capture time and sequence. */
  pending: Map<number, { captureTimeMs: number; sequence: number; generation: number }>;
}

export class H264Encoders {
  readonly #layers: LayerEncoder[] = [];
  readonly #onChunk: (chunk: H264Chunk) => void;
  readonly #onGiveUp: () => void;
  #failures = 0;
  /** Bumped for each new connection (chunks still in the encoders belong to the old one). */
  generation = 0;
  /** Bitrate over a camera's of the same size (h264-config.ts); a screen share sets 2. */
  bitrateScale = 1;

  constructor(onChunk: (chunk: H264Chunk) => void, onGiveUp: () => void) {
    this.#onChunk = onChunk;
    this.#onGiveUp = onGiveUp;
  }

  /**
   * Encodes layer `layer` of a grab from its canvas; false when that layer skips this grab (its
   * encoder is being set up or is still busy). Skipping never breaks the stream.
   */
  encode(
    layer: number,
    canvas: HTMLCanvasElement,
    size: LayerSize,
    fps: number,
    captureTimeMs: number,
    sequence: number,
  ): boolean {
    const state = this.#layer(layer, size, fps);
    const encoder = state.encoder;
    if (state.configuring || !encoder || encoder.state !== "configured") return false;
    if (encoder.encodeQueueSize >= MAX_QUEUED) return false;
    const timestamp = Math.round(captureTimeMs * 1000);
    const frame = new VideoFrame(canvas, { timestamp });
    try {
      state.pending.set(timestamp, { captureTimeMs, sequence, generation: this.generation });
      encoder.encode(frame, { keyFrame: state.schedule.next(performance.now()) });
    } catch {
      state.pending.delete(timestamp);
      this.#failed(state);
      return false;
    } finally {
      frame.close();
    }
    return true;
  }

  /** The relay's keyframe_request (or a chunk that could not be sent): layer's next frame is key. */
  requestKey(layer?: number): void {
    for (const [id, state] of this.#layers.entries()) {
      if (state && (layer === undefined || layer === id)) state.schedule.request();
    }
  }

  /** Layers from `count` on are no longer sent: their encoders go. */
  keepLayers(count: number): void {
    for (let id = count; id < this.#layers.length; id++) this.#closeLayer(id);
    this.#layers.length = Math.min(this.#layers.length, count);
  }

  close(): void {
    this.keepLayers(0);
  }

  #layer(id: number, size: LayerSize, fps: number): LayerEncoder {
    const configKey = `${size.width}x${size.height}@${fps}`;
    let state = this.#layers[id];
    if (state && state.configKey === configKey && state.encoder?.state !== "closed") return state;
    this.#closeLayer(id);
    state = {
      encoder: null,
      configKey,
      configuring: true,
      schedule: new KeyframeSchedule(),
      pending: new Map(),
    };
    this.#layers[id] = state;
    void this.#configure(id, state, size, fps);
    return state;
  }

  /** L1T3 where isConfigSupported says yes, else one temporal layer; none: give H.264 up. */
  async #configure(id: number, state: LayerEncoder, size: LayerSize, fps: number): Promise<void> {
    let config: VideoEncoderConfig | null = null;
    for (const temporal of [true, false]) {
      const candidate = h264EncoderConfig(size, fps, temporal, this.bitrateScale);
      try {
        if ((await VideoEncoder.isConfigSupported(candidate)).supported) {
          config = candidate;
          break;
        }
      } catch {
        // A config this browser can't even parse: try the next.
      }
    }
    if (this.#layers[id] !== state || state.configKey === "") return; // replaced or closed meanwhile
    if (!config) {
      this.#onGiveUp();
      return;
    }
    const encoder: VideoEncoder = new VideoEncoder({
      output: (chunk, metadata) => this.#output(id, state, chunk, metadata),
      error: () => {
        if (state.encoder === encoder) this.#failed(state);
      },
    });
    encoder.configure(config);
    state.encoder = encoder;
    state.configuring = false;
  }

  #output(
    layer: number,
    state: LayerEncoder,
    chunk: EncodedVideoChunk,
    metadata?: EncodedVideoChunkMetadata,
  ): void {
    const frame = state.pending.get(chunk.timestamp);
    state.pending.delete(chunk.timestamp);
    if (!frame) return;
    this.#failures = 0;
    const key = chunk.type === "key";
    if (key) state.schedule.keyMade(performance.now());
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    this.#onChunk({
      data,
      key,
      temporalLayer: metadata?.svc?.temporalLayerId ?? 0,
      layer,
      ...frame,
    });
  }

  /** An encoder error closes it: the next grab builds a new one (starting on a key frame). */
  #failed(state: LayerEncoder): void {
    const id = this.#layers.indexOf(state);
    if (id >= 0) this.#closeLayer(id);
    if (++this.#failures >= MAX_FAILURES) this.#onGiveUp();
  }

  #closeLayer(id: number): void {
    const state = this.#layers[id];
    if (!state) return;
    const encoder = state.encoder;
    state.encoder = null;
    state.configuring = false;
    state.pending.clear();
    // A closed state with no encoder: the next grab of this layer configures a new one.
    state.configKey = "";
    if (encoder && encoder.state !== "closed") encoder.close();
  }
}
