// One status line on stderr while the bench runs: redrawn in place on a terminal, one line per
// phase otherwise (CI logs, tests).
import type { Progress } from "./run-scenario.ts";

export class ProgressLine implements Progress {
  private label = "";
  private phaseSeconds = 0;
  private phaseStart = 0;
  private readonly benchStart = performance.now();
  private readonly timer: ReturnType<typeof setInterval> | null = null;
  private readonly tty = Boolean(process.stderr.isTTY);
  scenarioIndex = 0;
  scenarioCount = 0;

  constructor() {
    if (this.tty) this.timer = setInterval(() => this.draw(), 250);
  }

  phase(label: string, seconds: number): void {
    this.label = label;
    this.phaseSeconds = seconds;
    this.phaseStart = performance.now();
    if (this.tty) this.draw();
    else process.stderr.write(`${this.prefix()} ${label}\n`);
  }

  private prefix(): string {
    const total = ((performance.now() - this.benchStart) / 1000).toFixed(0);
    return `[${this.scenarioIndex}/${this.scenarioCount} ${total}s]`;
  }

  private draw(): void {
    const elapsed = (performance.now() - this.phaseStart) / 1000;
    const clock = this.phaseSeconds
      ? ` ${Math.min(elapsed, this.phaseSeconds).toFixed(1)}/${this.phaseSeconds} s`
      : "";
    process.stderr.write(`\r\x1b[2K${this.prefix()} ${this.label}${clock}`);
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) process.stderr.write("\r\x1b[2K");
  }
}
