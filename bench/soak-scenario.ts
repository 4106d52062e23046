// `bun bench --scenario soak --minutes N`: a long call with churn, and whether anything in the
// relay grows. A room of 16 on one relay (or two joined through Redis, --relays 2): 12 CLI-like
// participants of every kind in a load process (bench/processes/soak-load.ts; one leaves and
// another joins every few seconds), plus 4 receivers in processes of their own, two of which
// stall for 10 s now and then (SIGSTOP) and two of which vanish without a close frame (SIGKILL)
// and come back. Every sample it reads each relay's GET /debug/counts after a full GC (RSS, JS
// heap, fds, state counts) and its CPU, and the room's p50/p99 latency and delivery. After
// everyone has left, every count must be back to its baseline (taken after a warm-up round);
// memory must not keep growing over the second half.
import { writeFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { stopProcess, track } from "../harness/child-processes.ts";
import { startRedis } from "../harness/redis-process.ts";
import { type RelayProcess, startRelayProcess } from "../harness/relay-process.ts";
import { generateRoomKey, LEGACY_ROOM } from "../protocol/index.ts";
import { processCpuSeconds } from "./proc-stats.ts";
import type { Progress, ScenarioResult } from "./run-scenario.ts";
import type { Scenario } from "./scenarios.ts";
import type { SoakChildMessage, SoakKind, SoakParentMessage, SoakSample } from "./soak-protocol.ts";
import {
  firstAndLast,
  growthPer10Min,
  meanOf,
  type SoakRow,
  soakRowLine,
  soakSvg,
} from "./soak-report.ts";

const SOAK_LOAD = new URL("./processes/soak-load.ts", import.meta.url).pathname;
const VICTIM = new URL("./processes/stalled-receiver.ts", import.meta.url).pathname;

/** The 12 participants of the load process (16 with the 4 victims). */
export const SOAK_ROOM: SoakKind[] = [
  "layered-sender",
  "layered-sender",
  "sender",
  "sealed-sender",
  "legacy-sender",
  "acker",
  "acker",
  "layered-receiver",
  "layered-receiver",
  "plain-receiver",
  "legacy-receiver",
  "legacy-receiver",
];
const FPS = 15;
const FRAME_BYTES = 15_000;
const SMALL_LAYER_BYTES = 4_000;
const CHURN_EVERY_MS = 4000;
const WARMUP_SECONDS = 20;
const STALL_MS = 10_000;
/** Memory growing faster than this over the second half fails the run (issue 23: 1 % per 10 min). */
export const MAX_GROWTH_PER_10_MIN = 1;
/** Below this many minutes the memory trend is reported, not judged (too few samples). */
const JUDGE_MEMORY_FROM_MINUTES = 10;
const SETTLE_TIMEOUT_MS = 30_000;

export interface SoakOptions {
  minutes: number;
  sampleSeconds: number;
  relays: 1 | 2;
  relayScript: string;
  relayArgs: string[];
  /** Where --json goes; the chart is written beside it (FILE-soak.svg). */
  json: string | null;
}

export interface SoakFigures {
  rows: SoakRow[];
  baseline: Record<string, number>[];
  final: Record<string, number>[];
  growthPer10MinPercent: { rss: number[]; heap: number[] };
  failures: string[];
}

interface Snapshot {
  counts: Record<string, number>;
  process: { rssBytes: number; heapBytes: number; openFds: number };
}

/** Counts that are per request, not state. */
const NOT_STATE = new Set(["pendingRequests"]);

async function snapshot(httpUrl: string): Promise<Snapshot> {
  const response = await fetch(`${httpUrl}/debug/counts?gc=1`);
  if (!response.ok) throw new Error(`${httpUrl}/debug/counts: ${response.status}`);
  return (await response.json()) as Snapshot;
}

function stateEntries(counts: Record<string, number>): number {
  let total = 0;
  for (const [key, value] of Object.entries(counts)) {
    if (!NOT_STATE.has(key) && !key.startsWith("metric")) total += value;
  }
  return total;
}

function differences(baseline: Record<string, number>, now: Record<string, number>): string[] {
  return Object.keys(now)
    .filter((key) => !NOT_STATE.has(key) && baseline[key] !== now[key])
    .map((key) => `${key} ${baseline[key]} → ${now[key]}`);
}

/** The load process, spoken to over IPC. */
class SoakLoad {
  readonly proc: Subprocess;
  #waiting: { type: string; resolve: (m: SoakChildMessage) => void }[] = [];
  failure: string | null = null;

  constructor() {
    this.proc = track(
      Bun.spawn([process.execPath, SOAK_LOAD], {
        stdio: ["ignore", "inherit", "inherit"],
        ipc: (message: SoakChildMessage) => {
          if (message.type === "fatal") {
            this.failure = message.message;
            return;
          }
          const i = this.#waiting.findIndex((w) => w.type === message.type);
          const [waiter] = i >= 0 ? this.#waiting.splice(i, 1) : [];
          waiter?.resolve(message);
        },
        serialization: "json",
      }),
    );
  }

  request(message: SoakParentMessage, reply: SoakChildMessage["type"], timeoutMs = 60_000) {
    return new Promise<SoakChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`soak load: no ${reply}`)), timeoutMs);
      this.#waiting.push({
        type: reply,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      this.proc.send(message);
    });
  }
}

/** A receiver in its own process, so it can be frozen (SIGSTOP) or killed without a close frame. */
class Victim {
  proc: Subprocess | null = null;
  constructor(readonly url: string) {}

  async start(): Promise<void> {
    const proc = track(
      Bun.spawn([process.execPath, VICTIM, this.url], { stdout: "pipe", stderr: "ignore" }),
    );
    this.proc = proc;
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    const deadline = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    clearTimeout(deadline);
    reader.releaseLock();
  }

  /** Stops reading for `ms` (the kernel's buffer fills, then the relay's). */
  async stall(ms: number): Promise<void> {
    this.proc?.kill("SIGSTOP");
    await Bun.sleep(ms);
    this.proc?.kill("SIGCONT");
  }

  /** Gone without a close frame, back a second later on a new connection. */
  async reconnect(): Promise<void> {
    this.proc?.kill("SIGKILL");
    await this.proc?.exited;
    await Bun.sleep(1000);
    await this.start();
  }

  async stop(): Promise<void> {
    this.proc?.kill("SIGCONT");
    this.proc?.kill("SIGKILL");
    if (this.proc) await this.proc.exited;
    this.proc = null;
  }
}

async function settle(httpUrl: string, baseline: Record<string, number>): Promise<Snapshot> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let now = await snapshot(httpUrl);
  while (differences(baseline, now.counts).length > 0 && Date.now() < deadline) {
    await Bun.sleep(500);
    now = await snapshot(httpUrl);
  }
  return now;
}

export async function runSoakScenario(
  scenario: Scenario,
  options: SoakOptions,
  progress: Progress,
): Promise<ScenarioResult> {
  const redis = options.relays === 2 ? await startRedis() : null;
  const relayArgs = [...options.relayArgs, ...(redis ? ["--redis", redis.url] : [])];
  const relays: RelayProcess[] = [];
  for (let i = 0; i < options.relays; i++) {
    // FRAMECAST_DEBUG_GC: the bench may ask for a full GC before each sample (relay/http/debug-routes.ts).
    relays.push(
      await startRelayProcess(options.relayScript, relayArgs, { FRAMECAST_DEBUG_GC: "1" }),
    );
  }
  if (redis) await Bun.sleep(1500); // node ids claimed
  const load = new SoakLoad();
  const victims: Victim[] = [];
  const stop = async () => {
    for (const victim of victims) await victim.stop();
    await stopProcess(load.proc, 2000);
    for (const relay of relays) await relay.stop();
    await redis?.stop();
  };
  try {
    const setup: SoakParentMessage = {
      type: "setup",
      relays: relays.map((r) => r.url),
      room: LEGACY_ROOM, // old-protocol participants can only be in this room
      kinds: SOAK_ROOM,
      fps: FPS,
      frameBytes: FRAME_BYTES,
      smallLayerBytes: SMALL_LAYER_BYTES,
      e2eeKey: generateRoomKey(),
      churnEveryMs: CHURN_EVERY_MS,
    };
    // Warm-up: the same room for a while, then everyone leaves; the baseline is what is left.
    progress.phase("soak · warm-up", WARMUP_SECONDS);
    await load.request(setup, "ready");
    await Bun.sleep(WARMUP_SECONDS * 1000);
    await load.request({ type: "stop" }, "stopped");
    await load.request({ type: "sample" }, "sample");
    await Bun.sleep(2000);
    const baseline = await Promise.all(relays.map((r) => snapshot(r.httpUrl)));

    const victimUrl = (i: number, query: string) => {
      const relay = relays[i % relays.length]?.url as string;
      return query === "legacy"
        ? `${relay}/?name=victim-${i}`
        : `${relay}/v1/rooms/${LEGACY_ROOM}?name=victim-${i}&${query}`;
    };
    // Two that stall (one v1, one old protocol), two that drop (one acking with layers, one plain).
    victims.push(new Victim(victimUrl(0, "audio=1")));
    victims.push(new Victim(victimUrl(1, "legacy")));
    victims.push(new Victim(victimUrl(2, "ack=1&layers=1")));
    victims.push(new Victim(victimUrl(3, "audio=0")));
    await load.request(setup, "ready");
    for (const victim of victims) await victim.start();
    const startedAt = Date.now();
    const endAt = startedAt + options.minutes * 60_000;
    progress.phase(`soak · ${options.minutes} min`, options.minutes * 60);
    let running = true;
    const troubles: Promise<void>[] = [];
    // Stalls every 50 s and drops every 40 s, staggered; until the end.
    const schedule = (everyMs: number, offsetMs: number, act: () => Promise<void>) =>
      troubles.push(
        (async () => {
          const nap = (ms: number) => Bun.sleep(Math.max(0, Math.min(ms, endAt - Date.now())));
          await nap(offsetMs);
          while (running && Date.now() + STALL_MS < endAt) {
            await act();
            await nap(everyMs);
          }
        })(),
      );
    schedule(50_000, 5_000, () => (victims[0] as Victim).stall(STALL_MS));
    schedule(50_000, 30_000, () => (victims[1] as Victim).stall(STALL_MS));
    schedule(40_000, 12_000, () => (victims[2] as Victim).reconnect());
    schedule(40_000, 32_000, () => (victims[3] as Victim).reconnect());

    const rows: SoakRow[] = [];
    let lastCpu = relays.map((r) => processCpuSeconds(r.pid));
    let lastAt = Date.now();
    const sample = async () => {
      const snaps = await Promise.all(relays.map((r) => snapshot(r.httpUrl)));
      const cpu = relays.map((r) => processCpuSeconds(r.pid));
      const now = Date.now();
      const reply = await load.request({ type: "sample" }, "sample");
      const room = (reply as { sample: SoakSample }).sample;
      const row: SoakRow = {
        minute: (now - startedAt) / 60_000,
        relays: snaps.map((s, i) => {
          const before = lastCpu[i];
          const after = cpu[i];
          return {
            rssMB: s.process.rssBytes / 1e6,
            heapMB: s.process.heapBytes / 1e6,
            openFds: s.process.openFds,
            stateEntries: stateEntries(s.counts),
            // The first sample's interval is just the snapshot itself (its GC): no figure.
            cpuPercent:
              rows.length === 0 || before == null || after == null
                ? null
                : ((after - before) / ((now - lastAt) / 1000)) * 100,
          };
        }),
        p50Ms: room.p50Ms,
        p99Ms: room.p99Ms,
        delivery: room.expected > 0 ? room.received / room.expected : null,
        joins: room.joins,
        leaves: room.leaves,
        unexpectedCloses: room.unexpectedCloses,
      };
      lastCpu = cpu;
      lastAt = now;
      rows.push(row);
      console.error(soakRowLine(row));
      if (load.failure) throw new Error(`soak load: ${load.failure}`);
      for (const relay of relays) {
        const death = relay.death();
        if (death) throw new Error(death);
      }
    };
    await sample(); // minute 0: everyone in
    while (Date.now() < endAt) {
      await Bun.sleep(Math.min(options.sampleSeconds * 1000, Math.max(0, endAt - Date.now())));
      await sample();
    }
    running = false;
    await Promise.all(troubles);

    // Everyone leaves: the load process cleanly, the victims without a close frame.
    progress.phase("soak · everyone leaves", 10);
    await load.request({ type: "stop" }, "stopped");
    for (const victim of victims) await victim.stop();
    const final = await Promise.all(
      relays.map((r, i) => settle(r.httpUrl, (baseline[i] as Snapshot).counts)),
    );

    const failures: string[] = [];
    final.forEach((snap, i) => {
      const grown = differences((baseline[i] as Snapshot).counts, snap.counts);
      if (grown.length > 0)
        failures.push(`relay ${i}: counts not back to baseline: ${grown.join(", ")}`);
    });
    const growth = {
      rss: relays.map((_, i) => growthPer10Min(rows, (r) => r.relays[i]?.rssMB ?? null)),
      heap: relays.map((_, i) => growthPer10Min(rows, (r) => r.relays[i]?.heapMB ?? null)),
    };
    const judged = options.minutes >= JUDGE_MEMORY_FROM_MINUTES;
    for (const [what, values] of Object.entries(growth)) {
      values.forEach((value, i) => {
        if (judged && value > MAX_GROWTH_PER_10_MIN) {
          failures.push(
            `relay ${i}: ${what} grew ${value.toFixed(2)} % per 10 min over the second half (limit ${MAX_GROWTH_PER_10_MIN} %)`,
          );
        }
      });
    }
    const { first, last } = firstAndLast(rows);
    const firstP99 = meanOf(first, (r) => r.p99Ms);
    const lastP99 = meanOf(last, (r) => r.p99Ms);
    const firstDelivery = meanOf(first, (r) => r.delivery);
    const lastDelivery = meanOf(last, (r) => r.delivery);
    if (
      judged &&
      firstDelivery !== null &&
      lastDelivery !== null &&
      lastDelivery < firstDelivery - 0.02
    ) {
      failures.push(
        `delivery fell from ${(firstDelivery * 100).toFixed(2)} % to ${(lastDelivery * 100).toFixed(2)} %`,
      );
    }
    if (judged && firstP99 !== null && lastP99 !== null && lastP99 > firstP99 * 2 + 10) {
      failures.push(`p99 rose from ${firstP99.toFixed(1)} ms to ${lastP99.toFixed(1)} ms`);
    }
    const unexpected = rows.reduce((s, r) => s + r.unexpectedCloses, 0);
    if (unexpected > 0) failures.push(`${unexpected} participants were closed by the relay`);

    const pct = (v: number | null) => (v === null ? "-" : `${(v * 100).toFixed(2)} %`);
    const ms = (v: number | null) => (v === null ? "-" : `${v.toFixed(1)} ms`);
    const span = Math.min(10, (rows.at(-1)?.minute ?? 0) / 3).toFixed(1);
    const report = [
      `soak: ${options.minutes} min, room of ${SOAK_ROOM.length + victims.length} on ${relays.length} relay(s)${redis ? " + Redis" : ""}, ` +
        `${FPS} fps × ${FRAME_BYTES / 1000} KB (+${SMALL_LAYER_BYTES / 1000} KB layer), one leaves and one joins every ${CHURN_EVERY_MS / 1000} s, ` +
        `2 stall ${STALL_MS / 1000} s every 50 s, 2 drop without a close frame every 40 s`,
      ...rows.map(soakRowLine),
      ...relays.map(
        (_, i) =>
          `relay ${i}: growth over the second half: RSS ${growth.rss[i]?.toFixed(2)} %, heap ${growth.heap[i]?.toFixed(2)} % per 10 min` +
          (judged ? "" : ` (not judged: runs under ${JUDGE_MEMORY_FROM_MINUTES} min)`),
      ),
      `first ${span} min: p99 ${ms(firstP99)}, delivery ${pct(firstDelivery)} · last ${span} min: p99 ${ms(lastP99)}, delivery ${pct(lastDelivery)}${judged ? "" : " (not judged)"}`,
      ...final.map(
        (snap, i) =>
          `relay ${i} after everyone left: state entries ${stateEntries(snap.counts)} (baseline ${stateEntries((baseline[i] as Snapshot).counts)}), ` +
          `metric series ${snap.counts.metricSeries} (baseline ${(baseline[i] as Snapshot).counts.metricSeries}), ` +
          `heap ${(snap.process.heapBytes / 1e6).toFixed(1)} MB (baseline ${((baseline[i] as Snapshot).process.heapBytes / 1e6).toFixed(1)}), ` +
          `fds ${snap.process.openFds} (baseline ${(baseline[i] as Snapshot).process.openFds})`,
      ),
      failures.length === 0 ? "soak: PASS" : `soak: FAIL\n  ${failures.join("\n  ")}`,
    ];
    if (options.json) {
      const svgPath = `${options.json.replace(/\.json$/, "")}-soak.svg`;
      writeFileSync(
        svgPath,
        soakSvg(
          rows,
          `framecast soak ${new Date().toISOString().slice(0, 16)}Z: ${options.minutes} min, ${relays.length} relay(s)`,
        ),
      );
      report.push(`wrote ${svgPath}`);
    }
    const soak: SoakFigures = {
      rows,
      baseline: baseline.map((b) => b.counts),
      final: final.map((f) => f.counts),
      growthPer10MinPercent: growth,
      failures,
    };
    return { scenario, results: {}, ratios: null, report, soak, failures };
  } finally {
    await stop();
  }
}
