// Every process the bench starts is registered here, so a failure, a timeout or Ctrl-C
// still ends all of them (a SIGSTOPped receiver needs SIGKILL: SIGTERM would wait for SIGCONT).
import type { Subprocess } from "bun";

const live = new Set<Subprocess>();

export function track<T extends Subprocess>(proc: T): T {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

/** SIGTERM, then SIGKILL whatever is still alive after `graceMs`. */
export async function stopProcess(proc: Subprocess, graceMs = 2000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Kills everything still running, immediately. Safe to call from a signal handler. */
export function killAll(): void {
  for (const proc of live) {
    try {
      proc.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

export function liveCount(): number {
  return live.size;
}
