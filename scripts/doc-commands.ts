// `npm run doc-commands`: runs every command README.md and docs/*.md tell a user to type, each
// bounded in time, and prints a table of exit codes, so the docs are checked the way a newcomer
// reads them (`../shared/tools/fresh-machine 'npm install && npm run doc-commands'`).

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dir, "..");
/** Bench runs, tests and checks must end by themselves within this. */
const FINISH_TIMEOUT_S = 400;
const HELP = `Usage: npm run doc-commands -- [--list] [--timeout S] [--long] [FILE.md ...]

Runs each command in the sh/bash code blocks of README.md and docs/*.md (lines starting with
npm, npx, bun or curl), with HOST read as 127.0.0.1, and prints its exit code. A command still
running after --timeout seconds (default 12) counts as running (a relay, a client) and is stopped;
any other command (bench, tests, check, token) must end by itself within ${FINISH_TIMEOUT_S} s.
Commands with placeholders (/dev/video0, TOKEN, FILE, [optional] flags, ...) are listed as skipped,
and so is a line whose comment says "needs TOOL" where TOOL is not installed (e.g. openssl).
A relay for client commands is started on 127.0.0.1:8765 while they run.
  --list       only list the commands and how each would be treated
  --long       also run the long ones (npm test, the full bench)
  --timeout S  seconds before a command counts as running (default 12)
Exit 1 when any command that ran failed.`;

interface DocCommand {
  where: string;
  text: string;
}

type Plan =
  | { kind: "run"; command: string; needsRelay: boolean; isRelay: boolean; finishes: boolean }
  | { kind: "skip"; why: string };

const PLACEHOLDERS: [RegExp, string][] = [
  [/\/dev\/video\d/, "needs a camera"],
  [/\.\.\./, "placeholder ..."],
  [/\[--/, "usage line with [optional] flags"],
  [/\(--|\|/, "usage line with alternatives"],
  [/\b(TOKEN|FILE|PATH|KEY|NAME|ROOM|URL|SECRET|IP)\b/, "placeholder in capitals"],
  [/redis\.internal|example\.org/, "another host"],
];

const LONG: RegExp[] = [
  /^npm (run )?test\s*$/,
  /^npm run bench\s*$/,
  /^npm run bench -- --json/,
  /^npm run bench -- --scenario soak/,
];

function commandsIn(file: string): DocCommand[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const found: DocCommand[] = [];
  let inShell = false;
  let pending = "";
  lines.forEach((line, index) => {
    const fence = /^```(\w*)/.exec(line);
    if (fence) {
      inShell = !inShell && ["", "sh", "bash", "shell", "console"].includes(fence[1] ?? "");
      return;
    }
    if (!inShell) return;
    const text = (pending + line.replace(/^\$ /, "")).trim();
    if (text.endsWith("\\")) {
      pending = `${text.slice(0, -1)} `;
      return;
    }
    pending = "";
    if (/^(npm|npx|bun|curl) /.test(text)) {
      found.push({ where: `${relative(ROOT, file)}:${index + 1}`, text });
    }
  });
  return found;
}

/** A shell comment after two spaces ends the command (`npm test   # every test`). */
function withoutComment(text: string): string {
  return text.replace(/\s{2,}#.*$/, "").trim();
}

export function planFor(text: string, long: boolean): Plan {
  // A comment naming a tool npm can't install (`# needs openssl`) skips the line where it is missing.
  const tool = /#.*\bneeds (\w[\w-]*)/.exec(text)?.[1];
  if (tool && !Bun.which(tool)) return { kind: "skip", why: `needs ${tool}, not installed here` };
  let command = withoutComment(text).replace(/\bHOST\b/g, "127.0.0.1");
  for (const [pattern, why] of PLACEHOLDERS)
    if (pattern.test(command)) return { kind: "skip", why };
  // Installing is done once before the run; what follows `npm install &&` is the command.
  command = command.replace(/^npm install && /, "");
  if (command === "npm install") return { kind: "skip", why: "done once before the run" };
  if (!long && LONG.some((pattern) => pattern.test(command))) {
    return { kind: "skip", why: "long (--long runs it)" };
  }
  const isRelay = /^npm run (--silent )?relay\b(?! -- token)/.test(command);
  const help = /--help|--version/.test(command);
  const needsRelay =
    (/npm run (--silent )?client\b|curl /.test(command) ||
      /--url ws:\/\/127\.0\.0\.1:8765/.test(command)) &&
    !help;
  // Relays and clients run until stopped; everything else (bench, tests, check, token) must end.
  const finishes =
    help || !/^npm run (--silent )?(relay|client)\b(?! -- (token|keygen))/.test(command);
  return { kind: "run", command, needsRelay, isRelay, finishes };
}

/** A command in a process group of its own, so npm, bun and ffmpeg under it all stop together. */
interface Running {
  pid: number;
  exited: Promise<number>;
  output: Promise<string>;
}

function shell(command: string): Running {
  // detached: setsid, as node:child_process does it (no setsid binary on a bare PATH).
  const child = spawn("bash", ["-c", command], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FRAMECAST_NAME: "doc-check" },
  });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number>((resolve) => {
    child.on("error", () => resolve(127));
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  return { pid: child.pid ?? -1, exited, output: exited.then(() => text) };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function stopGroup(child: Running): Promise<void> {
  signalGroup(child.pid, "SIGTERM");
  const done = await Promise.race([
    child.exited.then(() => true),
    Bun.sleep(3000).then(() => false),
  ]);
  if (!done) signalGroup(child.pid, "SIGKILL");
  await child.exited;
}

async function run(
  command: string,
  timeoutS: number,
  finishes: boolean,
): Promise<{ result: string; ok: boolean; tail: string }> {
  const child = shell(command);
  const exited = await Promise.race([child.exited, Bun.sleep(timeoutS * 1000).then(() => null)]);
  if (exited === null) await stopGroup(child);
  const tail = (await child.output).trim().split("\n").slice(-2).join(" | ").slice(0, 160);
  if (exited === null)
    return { result: `running after ${timeoutS} s, stopped`, ok: !finishes, tail };
  return { result: `exit ${exited}`, ok: exited === 0, tail };
}

class BackgroundRelay {
  #child: Running | undefined;

  async start(): Promise<void> {
    if (this.#child) return;
    this.#child = shell(
      "exec npm run --silent relay -- --port 8765 --host 127.0.0.1 --log-level warn",
    );
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const up = await fetch("http://127.0.0.1:8765/healthz").then(
        (response) => response.ok,
        () => false,
      );
      if (up) return;
      await Bun.sleep(200);
    }
    throw new Error("the background relay did not start on 127.0.0.1:8765");
  }

  async stop(): Promise<void> {
    if (!this.#child) return;
    await stopGroup(this.#child);
    this.#child = undefined;
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      list: { type: "boolean", default: false },
      long: { type: "boolean", default: false },
      timeout: { type: "string", default: "12" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const timeoutS = Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    console.error("doc-commands: --timeout takes a number of seconds");
    return 2;
  }
  const files =
    positionals.length > 0
      ? positionals.map((file) => resolve(process.cwd(), file))
      : [
          join(ROOT, "README.md"),
          ...readdirSync(join(ROOT, "docs"))
            .filter((name) => name.endsWith(".md"))
            .map((name) => join(ROOT, "docs", name)),
        ];
  const commands = files.flatMap(commandsIn);
  const relay = new BackgroundRelay();
  let failed = 0;
  try {
    for (const { where, text } of commands) {
      const plan = planFor(text, values.long);
      if (plan.kind === "skip") {
        console.log(`skip  ${where}  ${text}\n      (${plan.why})`);
        continue;
      }
      if (values.list) {
        console.log(`run   ${where}  ${plan.command}`);
        continue;
      }
      if (plan.isRelay) await relay.stop();
      if (plan.needsRelay) await relay.start();
      const started = Date.now();
      const limit = plan.finishes ? FINISH_TIMEOUT_S : timeoutS;
      const { result, ok, tail } = await run(plan.command, limit, plan.finishes);
      if (!ok) failed++;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `${ok ? "ok  " : "FAIL"}  ${where}  ${plan.command}\n      ${result} (${seconds} s)${ok ? "" : `: ${tail}`}`,
      );
    }
  } finally {
    await relay.stop();
  }
  if (!values.list) console.log(`${failed === 0 ? "all commands ran" : `${failed} failed`}`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
