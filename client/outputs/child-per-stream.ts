// The lifecycle --view's windows and sound players share: one child process per participant,
// opened on its first frame, shut when it leaves or we stop. A child that exits on its own (the
// user closed the window, no sound device) is not opened again for that participant until it
// leaves, so a failing ffplay is reported once, not once per frame.
import type { Subprocess } from "bun";

export interface StreamChild {
  process: Subprocess<"pipe", "ignore", "pipe">;
}

export interface ChildPerStreamOptions<C extends StreamChild> {
  open: (stream: { id: number; name: string }) => C;
  /** Ends its input and waits for it (or kills it). */
  shut: (child: C) => Promise<void>;
  /** It exited by itself, with its code and what it wrote to stderr. */
  exited: (stream: { id: number; name: string }, child: C, code: number, stderr: string) => void;
}

export class ChildPerStream<C extends StreamChild> {
  readonly #options: ChildPerStreamOptions<C>;
  readonly #children = new Map<number, C>();
  /** Participants whose child exited by itself: not reopened until they leave. */
  readonly #gone = new Set<number>();

  constructor(options: ChildPerStreamOptions<C>) {
    this.#options = options;
  }

  get size(): number {
    return this.#children.size;
  }

  /** The participant's child, opened now if it has none; null when its child exited by itself. */
  childOf(stream: { id: number; name: string }): C | null {
    if (this.#gone.has(stream.id)) return null;
    let child = this.#children.get(stream.id);
    if (!child) {
      const opened = this.#options.open(stream);
      child = opened;
      this.#children.set(stream.id, opened);
      void opened.process.exited.then(async (code) => {
        if (this.#children.get(stream.id) !== opened) return; // we closed it ourselves
        this.#children.delete(stream.id);
        this.#gone.add(stream.id);
        const stderr = (await new Response(opened.process.stderr).text()).trim();
        this.#options.exited(stream, opened, code, stderr);
      });
    }
    return child;
  }

  /** The participant left: shut its child, and a later one with its id may open again. */
  end(id: number): void {
    const child = this.#children.get(id);
    this.#children.delete(id);
    this.#gone.delete(id);
    if (child) void this.#options.shut(child);
  }

  async close(): Promise<void> {
    const children = [...this.#children.values()];
    this.#children.clear();
    await Promise.all(children.map((child) => this.#options.shut(child)));
  }
}
