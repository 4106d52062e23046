import { stopProcess, track } from "./child-processes.ts";
import { forEachLine } from "./line-reader.ts";

export interface RelayProcess {
  url: string;
  httpUrl: string;
  pid: number;
  /** Set once the relay has exited, with why; the bench checks it after every phase. */
  death(): string | null;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const KEPT_LOG_LINES = 20;

export function httpUrlOf(wsUrl: string): string {
  return wsUrl.replace(/^ws/, "http").replace(/\/+$/, "");
}

export async function startRelayProcess(
  script: string,
  args: string[],
  /** Extra environment variables (the soak bench's FRAMECAST_DEBUG_GC). */
  env: Record<string, string> = {},
): Promise<RelayProcess> {
  const proc = track(
    Bun.spawn([process.execPath, script, "--port", "0", "--host", "127.0.0.1", ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...env },
    }),
  );
  const recent: string[] = [];
  const keep = (line: string) => {
    recent.push(line);
    if (recent.length > KEPT_LOG_LINES) recent.shift();
  };
  let stderrText = "";
  void (async () => {
    for await (const chunk of proc.stderr) {
      stderrText = (stderrText + new TextDecoder().decode(chunk)).slice(-4000);
    }
  })();

  let stopping = false;
  let deathReason: string | null = null;
  void proc.exited.then((code) => {
    if (stopping) return;
    deathReason =
      `relay ${script} exited (code ${code}, signal ${proc.signalCode}) during the run.\n` +
      `last stdout:\n${recent.join("\n")}\nstderr:\n${stderrText}`;
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`relay ${script} not listening after 10 s`)),
      START_TIMEOUT_MS,
    );
    void proc.exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(`relay ${script} exited before listening:\n${stderrText}${recent.join("\n")}`),
      );
    });
    void forEachLine(proc.stdout, (line) => {
      keep(line);
      try {
        const event = JSON.parse(line) as { event?: string; url?: string };
        if (event.event === "listening" && typeof event.url === "string") {
          clearTimeout(timer);
          resolve(event.url);
        }
      } catch {
        // Not JSON: keep it for the error report only.
      }
    });
  }).catch(async (error: unknown) => {
    await stopProcess(proc, 500);
    throw error;
  });

  return {
    url,
    httpUrl: httpUrlOf(url),
    pid: proc.pid,
    death: () => deathReason,
    stop: async () => {
      stopping = true;
      await stopProcess(proc);
    },
  };
}
