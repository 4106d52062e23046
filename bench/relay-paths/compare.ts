// Measures relay paths under the same load: our relay (Elysia for HTTP, Bun's native handlers for
// frames) against the same logic on Elysia's .ws(). Prints frames/s and relay CPU µs per delivery.
//   bun bench/relay-paths/compare.ts [seconds] [receivers,...] [frame bytes]
import { join } from "node:path";
import { type Subprocess, spawn } from "bun";

const SECONDS = Number(process.argv[2] ?? 5);
const RECEIVER_COUNTS = (process.argv[3] ?? "1,5,10,20").split(",").map(Number);
const FRAME_BYTES = Number(process.argv[4] ?? 51200);
const ROOT = join(import.meta.dir, "..", "..");
const VARIANTS = {
  "direct handlers (relay/)": [
    join(ROOT, "relay", "main.ts"),
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--log-level",
    "warn",
  ],
  "Elysia .ws()": [join(import.meta.dir, "elysia-ws-relay.ts"), "0"],
} as const;

const CLOCK_TICKS = 100;
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function startVariant(
  args: readonly string[],
): Promise<{ proc: Subprocess<"ignore", "pipe", "inherit">; url: string }> {
  const proc = spawn([process.execPath, ...args], {
    stdout: "pipe",
    stderr: "inherit",
    stdin: "ignore",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const line = new TextDecoder().decode(value).split("\n")[0] ?? "";
  return { proc, url: (JSON.parse(line) as { url: string }).url };
}

const rows: string[] = [];
for (const receivers of RECEIVER_COUNTS) {
  for (const [name, args] of Object.entries(VARIANTS)) {
    const relay = await startVariant(args);
    try {
      const cpuBefore = await cpuSeconds(relay.proc.pid);
      const load = spawn(
        [
          process.execPath,
          join(import.meta.dir, "load.ts"),
          relay.url,
          String(receivers),
          String(SECONDS),
        ],
        {
          stdout: "pipe",
        },
      );
      const timer = setTimeout(() => load.kill("SIGKILL"), (SECONDS + 20) * 1000);
      const output = await new Response(load.stdout).text();
      clearTimeout(timer);
      const cpu = (await cpuSeconds(relay.proc.pid)) - cpuBefore;
      const result = JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as {
        delivered: number;
        framesPerSecond: number;
        sent: number;
      };
      const row = `${String(receivers).padStart(3)} receivers  ${name.padEnd(26)} ${result.framesPerSecond.toFixed(0).padStart(6)} frames/s in  ${((result.framesPerSecond * receivers * FRAME_BYTES) / 2 ** 20).toFixed(0).padStart(5)} MiB/s out  relay CPU ${((cpu * 1e6) / result.sent).toFixed(1).padStart(6)} µs/frame, ${((cpu * 1e6) / result.delivered).toFixed(2).padStart(6)} µs/delivery`;
      rows.push(row);
      console.log(row);
    } finally {
      relay.proc.kill("SIGTERM");
      await relay.proc.exited;
    }
  }
}
