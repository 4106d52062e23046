// The CLI client with its stdin a pipe, for chat tests: lines written with `type` reach the
// room's chat (with --chat); its stderr (where chat lines print) is collected. `stopAll` ends
// every one started here (SIGINT, then SIGKILL after 5 s).
import { join } from "node:path";
import { spawn } from "bun";

const CLIENT_MAIN = join(import.meta.dir, "..", "..", "client", "main.ts");

export interface ChatCli {
  proc: Bun.Subprocess<"pipe", "ignore", "pipe">;
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  type(line: string): void;
}

const started = new Set<ChatCli>();

export function spawnChatCli(args: string[]): ChatCli {
  const proc = spawn([process.execPath, CLIENT_MAIN, ...args], {
    stdin: "pipe",
    stdout: "ignore",
    stderr: "pipe",
  });
  const lines: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of proc.stderr) {
      pending += decoder.decode(chunk, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      lines.push(...parts);
    }
    if (pending) lines.push(pending);
  })();
  const waitFor = async (pattern: RegExp, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = lines.find((candidate) => pattern.test(candidate));
      if (line) return line;
      await Bun.sleep(50);
    }
    throw new Error(`CLI never said ${pattern}; it said:\n${lines.join("\n")}`);
  };
  const cli: ChatCli = {
    proc,
    lines,
    waitFor,
    type: (line) => {
      proc.stdin.write(`${line}\n`);
      proc.stdin.flush();
    },
  };
  started.add(cli);
  void proc.exited.then(() => started.delete(cli));
  return cli;
}

export async function stopAllChatClis(): Promise<void> {
  await Promise.all(
    [...started].map(async (cli) => {
      cli.proc.kill("SIGINT");
      const killer = setTimeout(() => cli.proc.kill("SIGKILL"), 5000);
      await cli.proc.exited;
      clearTimeout(killer);
    }),
  );
}
