// Feeds frames to a child process's stdin without unbounded buffering: while a previous write is
// still pending (the child is slower than the stream), new frames are dropped and counted.
import type { FileSink } from "bun";

export class PipeWriter {
  readonly #sink: FileSink;
  #pending = false;
  #closed = false;
  written = 0;
  dropped = 0;

  constructor(sink: FileSink) {
    this.#sink = sink;
  }

  /** False when the frame was dropped (pipe busy or closed). */
  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.#pending) {
      this.dropped++;
      return false;
    }
    try {
      this.#sink.write(bytes);
      const flushed = this.#sink.flush();
      if (flushed instanceof Promise) {
        this.#pending = true;
        flushed.then(
          () => {
            this.#pending = false;
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
