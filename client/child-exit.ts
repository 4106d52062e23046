// Waits for a child process to exit, escalating SIGINT → SIGKILL if it takes too long.
import type { Subprocess } from "bun";

export async function waitOrKill(process: Subprocess, graceMs: number): Promise<number | null> {
  const timer = setTimeout(() => {
    // SIGINT first: ffmpeg then still writes the file trailer.
    process.kill("SIGINT");
    setTimeout(() => process.kill("SIGKILL"), graceMs).unref();
  }, graceMs);
  await process.exited;
  clearTimeout(timer);
  return process.exitCode;
}
