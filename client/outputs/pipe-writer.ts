// Feeds frames to a child process's stdin without unbounded buffering. A viewer (ffplay) wants
// the newest picture, so while a previous write is still pending (the child is slower than the
// stream) new frames are dropped and counted. A recorder wants every frame: it lets up to
// `maxPendingBytes` wait in the pipe's buffer for a child that is briefly slow (a busy disk or
// CPU), and drops only beyond that.
import type { FileSink } from "bun";

export class PipeWriter {
  readonly #sink: FileSink;
  readonly #maxPendingBytes: number;
  #pendingBytes = 0;
  /** Counts flushes, so only the newest one's completion clears the pending bytes. */
  #flushes = 0;
  #closed = false;
  written = 0;
  dropped = 0;

  /** `maxPendingBytes` 0: drop while any write is pending (a viewer). */
  constructor(sink: FileSink, maxPendingBytes = 0) {
    this.#sink = sink;
    this.#maxPendingBytes = maxPendingBytes;
  }

  /** False when the frame was dropped (pipe busy beyond the allowance, or closed). */
  write(bytes: Uint8Array): boolean {
    const busy =
      this.#pendingBytes > 0 && this.#pendingBytes + bytes.byteLength > this.#maxPendingBytes;
    if (this.#closed || busy) {
      this.dropped++;
      return false;
    }
    try {
      this.#sink.write(bytes);
      const flushed = this.#sink.flush();
      if (flushed instanceof Promise) {
        this.#pendingBytes += bytes.byteLength;
        const flush = ++this.#flushes;
        flushed.then(
          () => {
            if (flush === this.#flushes) this.#pendingBytes = 0;
          },
          () => {
            this.#closed = true;
          },
        );
      }
      this.written++;
      return true;
    } catch {
      // The reader went away (ffplay window closed, ffmpeg died).
      this.#closed = true;
      this.dropped++;
      return false;
    }
  }

  /** Flushes what is buffered and closes the pipe (the child sees end of input). */
  async end(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#sink.end();
    } catch {
      // Already gone: nothing left to flush.
    }
  }
}
