// Spawns the real relay process on a free loopback port for tests (and the bench).

import { join } from "node:path";
import { type Subprocess, spawn } from "bun";
import { forEachLine } from "./line-reader.ts";

const RELAY_MAIN = join(import.meta.dir, "..", "relay", "main.ts");

export interface SpawnedRelay {
  port: number;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Every JSON log line the relay printed so far (stdout and stderr). */
  logs: Array<Record<string, unknown>>;
  /** Sends SIGTERM, waits for exit (SIGKILL after 5 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startRelay(
  args: string[] = [],
  timeoutMs = 10_000,
  /** Extra environment variables (e.g. FRAMECAST_DATA_DIR for --tls self-signed). */
  env: Record<string, string> = {},
): Promise<SpawnedRelay> {
  const proc = spawn(
    [process.execPath, RELAY_MAIN, "--port", "0", "--host", "127.0.0.1", ...args],
    {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...env },
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  let resolveUrl: (url: string) => void = () => {};
  const urlSeen = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  const onLine = (line: string) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.event === "listening" && typeof entry.url === "string") resolveUrl(entry.url);
    } catch {
      logs.push({ raw: line });
    }
  };
  // Keep draining both pipes for the relay's whole life so its writes never block.
  void forEachLine(proc.stdout, onLine);
  void forEachLine(proc.stderr, onLine);
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill("SIGTERM");
    const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await proc.exited;
    clearTimeout(killer);
    return proc.exitCode;
  };
  const timer = setTimeout(() => resolveUrl(""), timeoutMs);
  const url = await Promise.race([urlSeen, proc.exited.then(() => "")]);
  clearTimeout(timer);
  if (!url) {
    await stop();
    throw new Error(`relay did not start: ${JSON.stringify(logs.slice(-5))}`);
  }
  const port = Number(new URL(url).port);
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    proc,
    logs,
    stop,
  };
}
