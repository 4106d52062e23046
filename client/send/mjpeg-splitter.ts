// Streaming MJPEG splitter: turns arbitrary chunks of a concatenated-JPEG stream (ffmpeg's
// `-f mjpeg` output) into whole JPEG frames. It walks JPEG marker segments instead of searching
// for 0xFFD9, so an end-of-image byte pair inside an APP/COM/DQT segment can't end a frame early.

export type SplitterDropReason = "runaway" | "corrupt";

export interface SplitterOptions {
  /** Called with each whole frame (SOI..EOI). See `headroom` for the buffer layout. */
  onFrame: (frame: Uint8Array) => void;
  /** Called when a partial frame is thrown away; `bytes` is how much of it had arrived. */
  onDrop?: (reason: SplitterDropReason, bytes: number) => void;
  /** Frames larger than this are dropped (bounds memory if the stream never ends a frame). */
  maxFrameBytes?: number;
  /**
   * Free bytes reserved in front of every frame: `frame.byteOffset === headroom` and the frame
   * owns its ArrayBuffer, so a sender can write a protocol header in place (no extra copy) or
   * transfer the buffer to a worker.
   */
  headroom?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
const MIN_CAPACITY = 64 * 1024;

/** Parser states; each names what the next byte is expected to be. */
enum State {
  /** Outside a frame, skipping garbage until 0xFF. */
  SeekFF,
  /** Outside a frame, just saw 0xFF; 0xD8 starts a frame. */
  SeekSOI,
  /** Inside a frame between segments: expect the 0xFF of a marker. */
  MarkerPrefix,
  /** Saw 0xFF between segments: the marker code (0xFF is fill). */
  MarkerCode,
  LengthHigh,
  LengthLow,
  /** Skipping a marker segment's payload (`remaining` bytes). */
  Segment,
  /** Inside entropy-coded scan data: look for 0xFF. */
  Entropy,
  /** Saw 0xFF in scan data: 0x00 is stuffing, RSTn continue, anything else is a marker. */
  EntropyFF,
}

function isStandalone(code: number): boolean {
  // TEM and RST0-7 have no length field; SOI/EOI are handled separately.
  return code === 0x01 || (code >= 0xd0 && code <= 0xd7);
}

export class MjpegSplitter {
  readonly #onFrame: (frame: Uint8Array) => void;
  readonly #onDrop: ((reason: SplitterDropReason, bytes: number) => void) | undefined;
  readonly #maxFrameBytes: number;
  readonly #headroom: number;

  #state = State.SeekFF;
  #remaining = 0;
  #markerCode = 0;
  /** The frame being assembled: bytes [headroom, headroom + #length). */
  #buffer: Uint8Array | null = null;
  #length = 0;
  #lastFrameBytes = 0;
  /** Counters for status and tests. */
  frames = 0;
  droppedFrames = 0;
  skippedBytes = 0;

  constructor(options: SplitterOptions) {
    this.#onFrame = options.onFrame;
    this.#onDrop = options.onDrop;
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#headroom = options.headroom ?? 0;
  }

  /** Bytes currently held for an unfinished frame. */
  get pendingBytes(): number {
    return this.#buffer ? this.#length : 0;
  }

  push(chunk: Uint8Array): void {
    const end = chunk.byteLength;
    let i = 0;
    // Start (in this chunk) of the bytes that belong to the current frame and are not yet copied.
    let copyFrom = this.#buffer ? 0 : -1;
    while (i < end) {
      switch (this.#state) {
        case State.SeekFF: {
          const at = chunk.indexOf(0xff, i);
          const stop = at < 0 ? end : at;
          this.skippedBytes += stop - i;
          i = stop;
          if (at >= 0) {
            this.#state = State.SeekSOI;
            i++;
          }
          break;
        }
        case State.SeekSOI: {
          const byte = chunk[i] as number;
          if (byte === 0xd8) {
            this.#startFrame();
            // The SOI's 0xFF may have been the last byte of the previous chunk.
            if (i === 0) {
              this.#append(SOI_PREFIX, 0, 1);
              copyFrom = 0;
            } else {
              copyFrom = i - 1;
            }
            this.#state = State.MarkerPrefix;
          } else if (byte !== 0xff) {
            this.skippedBytes += 2;
            this.#state = State.SeekFF;
          } else {
            this.skippedBytes += 1;
          }
          i++;
          break;
        }
        case State.MarkerPrefix: {
          if (chunk[i] === 0xff) {
            this.#state = State.MarkerCode;
            i++;
          } else {
            copyFrom = this.#abort("corrupt", copyFrom, i);
          }
          break;
        }
        case State.MarkerCode:
        case State.EntropyFF: {
          const code = chunk[i] as number;
          const inScan = this.#state === State.EntropyFF;
          i++;
          if (code === 0xff) break; // fill byte, still waiting for the code
          if (inScan && code === 0x00) {
            this.#state = State.Entropy; // stuffed 0xFF in scan data
          } else if (code === 0xd9) {
            copyFrom = this.#finishFrame(chunk, copyFrom, i);
          } else if (code === 0xd8) {
            // A new SOI inside a frame: the old frame was truncated; restart at this one.
            copyFrom = this.#abort("corrupt", copyFrom, i);
            this.#startFrame();
            this.#append(SOI, 0, 2);
            copyFrom = i;
            this.#state = State.MarkerPrefix;
          } else if (isStandalone(code)) {
            this.#state = inScan ? State.Entropy : State.MarkerPrefix;
          } else {
            this.#markerCode = code;
            this.#state = State.LengthHigh;
          }
          break;
        }
        case State.LengthHigh:
          this.#remaining = (chunk[i] as number) << 8;
          this.#state = State.LengthLow;
          i++;
          break;
        case State.LengthLow: {
          const length = this.#remaining | (chunk[i] as number);
          i++;
          if (length < 2) {
            copyFrom = this.#abort("corrupt", copyFrom, i);
            break;
          }
          this.#remaining = length - 2;
          this.#state = State.Segment;
          if (this.#remaining === 0) this.#afterSegment();
          break;
        }
        case State.Segment: {
          const take = Math.min(this.#remaining, end - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#afterSegment();
          break;
        }
        case State.Entropy: {
          const at = chunk.indexOf(0xff, i);
          if (at < 0) {
            i = end;
          } else {
            i = at + 1;
            this.#state = State.EntropyFF;
          }
          break;
        }
      }
      // Bound memory per chunk slice, not per byte: cheap and still tight.
      if (copyFrom >= 0 && this.#length + (i - copyFrom) > this.#maxFrameBytes) {
        copyFrom = this.#abort("runaway", copyFrom, i);
      }
    }
    if (copyFrom >= 0 && this.#buffer) this.#append(chunk, copyFrom, end);
  }

  /** Forgets any partial frame (e.g. when the producing ffmpeg restarts). */
  reset(): void {
    this.#buffer = null;
    this.#length = 0;
    this.#state = State.SeekFF;
  }

  #afterSegment(): void {
    this.#state = this.#markerCode === 0xda ? State.Entropy : State.MarkerPrefix;
  }

  #startFrame(): void {
    const estimate = Math.max(MIN_CAPACITY, this.#lastFrameBytes + (this.#lastFrameBytes >> 2));
    this.#buffer = new Uint8Array(this.#headroom + Math.min(estimate, this.#maxFrameBytes));
    this.#length = 0;
  }

  #append(source: Uint8Array, from: number, to: number): void {
    const buffer = this.#buffer as Uint8Array;
    const needed = this.#headroom + this.#length + (to - from);
    let target = buffer;
    if (needed > buffer.byteLength) {
      target = new Uint8Array(Math.max(needed, buffer.byteLength * 2));
      target.set(buffer.subarray(0, this.#headroom + this.#length));
      this.#buffer = target;
    }
    target.set(source.subarray(from, to), this.#headroom + this.#length);
    this.#length += to - from;
  }

  /** Completes the frame ending just before `i`; returns the new copy start (-1: no frame). */
  #finishFrame(chunk: Uint8Array, copyFrom: number, i: number): number {
    if (copyFrom >= 0) this.#append(chunk, copyFrom, i);
    const buffer = this.#buffer as Uint8Array;
    const frame = buffer.subarray(this.#headroom, this.#headroom + this.#length);
    this.#lastFrameBytes = this.#length;
    this.#buffer = null;
    this.#length = 0;
    this.#state = State.SeekFF;
    this.frames++;
    this.#onFrame(frame);
    return -1;
  }

  /** Drops the frame in progress and resyncs on the next SOI; returns the new copy start. */
  #abort(reason: SplitterDropReason, copyFrom: number, i: number): number {
    const bytes = this.#length + (copyFrom >= 0 ? i - copyFrom : 0);
    this.#buffer = null;
    this.#length = 0;
    this.#state = State.SeekFF;
    this.droppedFrames++;
    this.#onDrop?.(reason, bytes);
    // The caller resyncs from the byte that broke the frame: it may be the 0xFF of a new SOI.
    return -1;
  }
}

const SOI = new Uint8Array([0xff, 0xd8]);
const SOI_PREFIX = SOI.subarray(0, 1);
