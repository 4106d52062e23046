// Measures relay paths under the same load: the same minimal frame logic (validate, stamp,
// publish) on Bun's native handlers (as relay/ does) and on Elysia's .ws(), plus the full relay.
// Prints frames/s and relay CPU µs per delivery. ROUNDS alternates the variants to even out noise.
//   bun bench/processes/relay-paths/compare.ts [seconds] [receivers,...] [frame bytes] [rounds]
import { join } from "node:path";
import { type Subprocess, spawn } from "bun";

const SECONDS = Number(process.argv[2] ?? 5);
const RECEIVER_COUNTS = (process.argv[3] ?? "1,5,10,20").split(",").map(Number);
const FRAME_BYTES = Number(process.argv[4] ?? 51200);
const ROUNDS = Number(process.argv[5] ?? 2);
const ROOT = join(import.meta.dir, "..", "..", "..");
const VARIANTS = {
  "minimal, native handlers": [join(import.meta.dir, "direct-relay.ts"), "0"],
  "minimal, Elysia .ws()": [join(import.meta.dir, "elysia-ws-relay.ts"), "0"],
  "framecast relay/ (all features)": [
    join(ROOT, "relay", "main.ts"),
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--log-level",
    "warn",
    // The comparison is of the message path itself: no rate limits capping the closed loop.
    "--max-fps=0",
    "--max-bytes-per-second=0",
  ],
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

for (const receivers of RECEIVER_COUNTS) {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so neither variant always runs on a warmer or busier machine.
    const variants = Object.entries(VARIANTS);
    if (round % 2 === 1) variants.reverse();
    for (const [name, args] of variants) {
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
        const row = `${String(receivers).padStart(3)} receivers  ${name.padEnd(32)} ${result.framesPerSecond.toFixed(0).padStart(6)} frames/s in  ${((result.framesPerSecond * receivers * FRAME_BYTES) / 2 ** 20).toFixed(0).padStart(5)} MiB/s out  relay CPU ${((cpu * 1e6) / result.sent).toFixed(1).padStart(6)} µs/frame, ${((cpu * 1e6) / result.delivered).toFixed(2).padStart(6)} µs/delivery`;
        console.log(row);
      } finally {
        relay.proc.kill("SIGTERM");
        await relay.proc.exited;
      }
    }
  }
}
