// Owns the terminal: log lines go to stderr; the status block goes to stdout, redrawn in place
// when stdout is a TTY (logs are printed above it), or printed as plain lines otherwise.

const ESC = "\x1b[";

export class Terminal {
  readonly #live: boolean;
  #statusLines = 0;

  constructor(live = process.stdout.isTTY === true) {
    this.#live = live;
  }

  get live(): boolean {
    return this.#live;
  }

  log(line: string): void {
    this.#eraseStatus();
    process.stderr.write(`framecast: ${line}\n`);
    this.#redraw();
  }

  #lastStatus: string[] = [];

  status(lines: string[]): void {
    if (!this.#live) {
      for (const line of lines) process.stdout.write(`status: ${line}\n`);
      return;
    }
    this.#eraseStatus();
    this.#lastStatus = lines;
    this.#redraw();
  }

  /** Leaves the last status block on screen and stops redrawing it. */
  finish(): void {
    this.#statusLines = 0;
    this.#lastStatus = [];
  }

  #eraseStatus(): void {
    if (!this.#live || this.#statusLines === 0) return;
    // Up to the first status line, then clear to the end of the screen.
    process.stdout.write(`${ESC}${this.#statusLines}F${ESC}0J`);
    this.#statusLines = 0;
  }

  #redraw(): void {
    if (!this.#live || this.#lastStatus.length === 0) return;
    process.stdout.write(`${this.#lastStatus.map((line) => `${ESC}2K${line}`).join("\n")}\n`);
    this.#statusLines = this.#lastStatus.length;
  }
}
