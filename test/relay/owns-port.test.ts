// The relay owns its port (issue 19): a second relay on a busy port says so in one line and exits 1
// while the first keeps serving; `npm run relay` passes SIGINT and SIGTERM on to the relay.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { spawn } from "bun";
import { forEachLine } from "../../harness/line-reader.ts";
import { startRelay } from "../../harness/spawned-relay.ts";

const ROOT = join(import.meta.dir, "..", "..");
const RELAY_MAIN = join(ROOT, "relay", "main.ts");

/** The relay's "listening" log entry from `stream`, or null if none comes within `ms`. */
async function listeningLine(
  stream: ReadableStream<Uint8Array>,
  ms = 15_000,
): Promise<{ url: string; pid?: number } | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    void forEachLine(stream, (line) => {
      if (!line.includes('"listening"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line));
    }).then(() => resolve(null));
  });
}

test("a second relay on the same port exits 1 with one line; the first keeps serving", async () => {
  const first = await startRelay();
  try {
    const second = spawn(
      [process.execPath, RELAY_MAIN, "--port", String(first.port), "--host", "127.0.0.1"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const killer = setTimeout(() => second.kill("SIGKILL"), 10_000);
    const code = await second.exited;
    clearTimeout(killer);
    expect(code).toBe(1);
    const stderr = await new Response(second.stderr).text();
    expect(stderr).toBe(`relay: port ${first.port} is already in use\n`);
    expect(await new Response(second.stdout).text()).not.toContain("listening");
    expect(await (await fetch(`${first.httpUrl}/healthz`)).text()).toBe("ok\n");
  } finally {
    await first.stop();
  }
}, 20_000);

test("--reuse-port lets a second relay share the port, on purpose", async () => {
  const first = await startRelay(["--reuse-port"]);
  try {
    const shared = spawn(
      [
        process.execPath,
        RELAY_MAIN,
        "--port",
        String(first.port),
        "--host",
        "127.0.0.1",
        "--reuse-port",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const listening = await listeningLine(shared.stdout);
    shared.kill("SIGTERM");
    await shared.exited;
    expect(listening?.url).toBe(`ws://127.0.0.1:${first.port}`);
  } finally {
    await first.stop();
  }
}, 25_000);

async function portIsFree(port: number): Promise<boolean> {
  try {
    const probe = Bun.serve({
      port,
      hostname: "127.0.0.1",
      reusePort: false,
      fetch: () => new Response(),
    });
    probe.stop(true);
    return true;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} to npm's process stops the relay and frees its port`, async () => {
    // `npm run relay` the way a user starts it; npm runs the script through `sh -c`, and the
    // script's `exec bun` makes bun that shell's process, so npm's signal reaches the relay.
    const npm = spawn(
      ["npm", "run", "--silent", "relay", "--", "--port", "0", "--host", "127.0.0.1"],
      {
        cwd: ROOT,
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` },
      },
    );
    const hardStop = setTimeout(() => npm.kill("SIGKILL"), 30_000);
    let relayPid = 0;
    try {
      const listening = await listeningLine(npm.stdout, 20_000);
      expect(listening).not.toBeNull();
      const port = Number(new URL(listening?.url ?? "ws://x:1").port);
      relayPid = listening?.pid ?? 0;
      expect(relayPid).toBeGreaterThan(0);
      expect(await portIsFree(port)).toBe(false);
      npm.kill(signal);
      const gone = Date.now() + 5000;
      while (processAlive(relayPid) && Date.now() < gone) await Bun.sleep(50);
      expect(processAlive(relayPid)).toBe(false);
      expect(await portIsFree(port)).toBe(true);
    } finally {
      clearTimeout(hardStop);
      if (relayPid && processAlive(relayPid)) process.kill(relayPid, "SIGKILL");
      npm.kill("SIGKILL");
      await npm.exited;
    }
  }, 40_000);
}
