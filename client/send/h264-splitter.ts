// Streaming H.264 access-unit splitter: turns arbitrary chunks of an Annex B stream (ffmpeg's
// `-f h264` output with `-x264-params aud=1`) into whole access units, one per picture. It cuts on
// access unit delimiters (NAL type 9) only: libx264's sliced threads write two slices per picture,
// so a cut on every start code would halve pictures. A unit is whole when the next AUD arrives, so
// it leaves one picture interval after its last byte; its time is when that last byte arrived.
// A unit is a key frame when it holds an IDR slice (NAL type 5).

export interface AccessUnitOptions {
  /**
   * Called with each whole access unit (AUD first), whether it is a key frame, and when its
   * last byte arrived (the `timeMs` given to push). The unit owns its ArrayBuffer and has
   * `headroom` free bytes before it (as MjpegSplitter's frames).
   */
  onUnit: (unit: Uint8Array, key: boolean, timeMs: number) => void;
  /**
   * A unit larger than maxUnitBytes was thrown away; the units after it are dropped too until
   * the next key frame, since they reference it.
   */
  onDrop?: (bytes: number) => void;
  maxUnitBytes?: number;
  headroom?: number;
}

export const NAL_IDR = 5;
export const NAL_AUD = 9;
const DEFAULT_MAX_UNIT_BYTES = 8 * 1024 * 1024;
const MIN_CAPACITY = 64 * 1024;

export class H264Splitter {
  readonly #options: AccessUnitOptions;
  readonly #headroom: number;
  readonly #maxUnitBytes: number;
  /** The unit being assembled: bytes [headroom, headroom + #length), starting with its AUD. */
  #buffer: Uint8Array;
  #length = 0;
  /** Where to look for the next 0x01 of a start code (relative to the unit's first byte). */
  #scan = 0;
  /** An AUD began the bytes held (false: skipping what comes before the first AUD). */
  #inUnit = false;
  #key = false;
  /** At the start and after a dropped unit: drop until a key frame (deltas need their reference). */
  #needKey = true;
  /** Where each chunk held began (offset in the unit) and when it came, oldest first. */
  #chunks: { at: number; time: number }[] = [];
  units = 0;
  keyUnits = 0;
  droppedUnits = 0;
  skippedBytes = 0;

  constructor(options: AccessUnitOptions) {
    this.#options = options;
    this.#headroom = options.headroom ?? 0;
    this.#maxUnitBytes = options.maxUnitBytes ?? DEFAULT_MAX_UNIT_BYTES;
    this.#buffer = new Uint8Array(this.#headroom + MIN_CAPACITY);
  }

  push(chunk: Uint8Array, timeMs = 0): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push({ at: this.#length, time: timeMs });
    this.#append(chunk);
    this.#cut();
    if (this.#length > this.#maxUnitBytes) this.#drop();
  }

  /** The end of the stream: the last unit is whole now. */
  flush(): void {
    if (this.#inUnit && this.#length > 0) this.#emit(this.#length);
    this.reset();
  }

  /** Forgets a partial unit (the producing ffmpeg restarted): the next starts at a key frame. */
  reset(): void {
    this.#buffer = new Uint8Array(this.#headroom + MIN_CAPACITY);
    this.#length = 0;
    this.#scan = 0;
    this.#inUnit = false;
    this.#key = false;
    this.#needKey = true;
    this.#chunks = [];
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#headroom + this.#length + chunk.byteLength;
    if (needed > this.#buffer.byteLength) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.byteLength * 2));
      grown.set(this.#buffer.subarray(0, this.#headroom + this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#headroom + this.#length);
    this.#length += chunk.byteLength;
  }

  /** Finds start codes in the new bytes; an AUD ends the unit before it. */
  #cut(): void {
    const h = this.#headroom;
    for (;;) {
      const bytes = this.#buffer.subarray(h, h + this.#length);
      const one = bytes.indexOf(1, Math.max(this.#scan, 2));
      if (one < 0) {
        this.#scan = this.#length;
        return;
      }
      if (one + 1 >= this.#length) {
        this.#scan = one; // its NAL header has not arrived yet
        return;
      }
      this.#scan = one + 1;
      if (bytes[one - 1] !== 0 || bytes[one - 2] !== 0) continue;
      const nal = (bytes[one + 1] as number) & 0x1f;
      // A 4-byte start code's first zero belongs to the unit it starts.
      const at = one >= 3 && bytes[one - 3] === 0 ? one - 3 : one - 2;
      if (nal === NAL_IDR) this.#key = true;
      if (nal !== NAL_AUD) continue;
      if (!this.#inUnit) {
        this.skippedBytes += at;
        this.#shift(at);
        this.#inUnit = true;
        this.#key = false;
        continue;
      }
      if (at === 0) continue;
      this.#emit(at);
    }
  }

  /** Hands out bytes [0, end) as a unit and keeps the rest (the next unit's AUD onward). */
  #emit(end: number): void {
    const timeMs = this.#arrivalOf(end - 1);
    this.#rebase(end);
    const h = this.#headroom;
    const unitBuffer = this.#buffer;
    const key = this.#key;
    const rest = this.#length - end;
    this.#buffer = new Uint8Array(h + Math.max(MIN_CAPACITY, rest, end + (end >> 2)));
    this.#buffer.set(unitBuffer.subarray(h + end, h + end + rest), h);
    this.#length = rest;
    this.#scan = 0;
    this.#key = false;
    if (this.#needKey && !key) {
      this.droppedUnits++;
      return;
    }
    this.#needKey = false;
    this.units++;
    if (key) this.keyUnits++;
    this.#options.onUnit(unitBuffer.subarray(h, h + end), key, timeMs);
  }

  /** Drops the first `count` bytes held. */
  #shift(count: number): void {
    if (count === 0) return;
    const h = this.#headroom;
    this.#buffer.copyWithin(h, h + count, h + this.#length);
    this.#length -= count;
    this.#rebase(count);
    this.#scan = Math.max(0, this.#scan - count);
  }

  /** When the byte at `offset` came: the time of the chunk that brought it. */
  #arrivalOf(offset: number): number {
    let time = this.#chunks[0]?.time ?? 0;
    for (const chunk of this.#chunks) {
      if (chunk.at > offset) break;
      time = chunk.time;
    }
    return time;
  }

  /** The first `count` bytes are gone: chunk offsets count from the new first byte. */
  #rebase(count: number): void {
    const kept: { at: number; time: number }[] = [];
    for (const [i, chunk] of this.#chunks.entries()) {
      const next = this.#chunks[i + 1];
      if (next && next.at <= count) continue; // wholly before the cut
      kept.push({ at: Math.max(0, chunk.at - count), time: chunk.time });
    }
    this.#chunks = kept;
  }

  /** A runaway unit: throw it away and resync on the next AUD, then wait for a key frame. */
  #drop(): void {
    const bytes = this.#length;
    this.droppedUnits++;
    this.#options.onDrop?.(bytes);
    this.reset();
  }
}
