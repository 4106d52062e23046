// `bun bench --quick` end to end: it must finish, exit 0 and write a JSON report holding every
// figure with sane values, plus the SVG chart. No timing asserts: this machine is shared.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { available } from "../../harness/tools.ts";
import { CLUSTER_SKIPPED } from "../cluster-scenario.ts";
import { SCENARIO_NAMES } from "../scenarios.ts";
import type { RunSummary } from "../summarize.ts";

/** The cluster scenario needs redis-server: without it the bench must skip it and say so. */
const withRedis = available(
  "redis-server",
  Bun.which("redis-server") !== null,
  "redis-server not installed: checking that bun bench skips its cluster scenario and says so",
);

const ROOT = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "framecast-bench-"));
const jsonPath = join(dir, "quick.json");

interface Report {
  machine: { cores: number; cpuModel: string };
  versions: { bun: string; framecast: string };
  scenarios: {
    name: string;
    results: Record<"baseline" | "framecast", RunSummary>;
    ratios: Record<string, number | null> | null;
    saturation?: { steps: { fps: number }[]; maxSustainedFps: Record<string, number | null> };
  }[];
}

let exitCode: number | null = null;
let stdout = "";
let report: Report;

beforeAll(async () => {
  const proc = Bun.spawn([process.execPath, "bench/main.ts", "--quick", "--json", jsonPath], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGINT"), 110_000);
  [stdout] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(killer);
  exitCode = proc.exitCode;
  if (exitCode !== 0) console.error(stdout, await new Response(proc.stderr).text());
  report = JSON.parse(readFileSync(jsonPath, "utf8")) as Report;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("exits 0 and prints the table", () => {
  expect(exitCode).toBe(0);
  expect(stdout).toContain("p99 ms");
  expect(stdout).toContain("framecast ÷ baseline");
});

test("records the machine and versions", () => {
  expect(report.machine.cores).toBeGreaterThan(0);
  expect(report.machine.cpuModel.length).toBeGreaterThan(0);
  expect(report.versions.bun).toBe(Bun.version);
});

test("runs every scenario against both relays (cluster only with redis-server)", () => {
  const expected = SCENARIO_NAMES.filter((name) => name !== "cluster" || withRedis);
  expect(report.scenarios.map((s) => s.name)).toEqual([...expected]);
  if (withRedis) expect(stdout).not.toContain(CLUSTER_SKIPPED);
  else expect(stdout).toContain(CLUSTER_SKIPPED);
});

function checkSummary(where: string, s: RunSummary, hasMetrics: boolean): void {
  expect(s.framesSent, where).toBeGreaterThan(0);
  expect(s.framesExpected, where).toBeGreaterThan(0);
  expect(s.framesDelivered, where).toBeGreaterThan(0);
  expect(s.framesDelivered, where).toBeLessThanOrEqual(s.framesExpected);
  expect(s.deliveryRatio, where).toBeGreaterThan(0);
  expect(s.deliveryRatio, where).toBeLessThanOrEqual(1);
  const { p50, p90, p99, max } = s.latencyMs;
  expect(p50, where).toBeGreaterThan(0); // loopback still takes some time, never none
  expect(p50, where).toBeLessThanOrEqual(p90);
  expect(p90, where).toBeLessThanOrEqual(p99);
  expect(p99, where).toBeLessThanOrEqual(max);
  expect(s.latencyMs.count, where).toBe(s.framesDelivered);
  expect(s.deliveredMBps, where).toBeGreaterThan(0);
  expect(s.relayCpuSeconds, where).toBeGreaterThan(0); // a relay that forwarded frames ran
  expect(s.relayPeakRssMB, where).toBeGreaterThan(0);
  expect(s.loadGenerator.sendLatenessMs.count, where).toBe(s.framesSent);
  expect(s.loadGenerator.cpuPercent, where).toBeGreaterThan(0);
  expect(s.malformed, where).toBe(0);
  expect(s.echoed, where).toBe(0);
  if (hasMetrics) expect(Number.isInteger(s.relayDrops), where).toBe(true);
  else expect(s.relayDrops, where).toBeNull();
}

/**
 * Scenarios measured against the raw Bun.serve baseline: all but cluster, which compares relays,
 * and audio, which the baseline can't carry.
 */
const withBaseline = () =>
  report.scenarios.filter((s) => s.name !== "cluster" && s.name !== "audio");

test("every result holds sane figures", () => {
  for (const scenario of withBaseline()) {
    checkSummary(`${scenario.name} baseline`, scenario.results.baseline, false);
    checkSummary(`${scenario.name} framecast`, scenario.results.framecast, true);
  }
});

test("every scenario has its ratios to the baseline", () => {
  for (const scenario of withBaseline()) {
    expect(scenario.ratios, scenario.name).not.toBeNull();
    for (const key of [
      "latencyP50",
      "latencyP99",
      "relayCpu",
      "relayCpuPerDelivery",
      "relayPeakRss",
      "deliveredMBps",
    ]) {
      expect(scenario.ratios, scenario.name).toHaveProperty(key);
    }
    expect(scenario.ratios?.latencyP99, scenario.name).toBeGreaterThan(0);
    expect(scenario.ratios?.relayPeakRss, scenario.name).toBeGreaterThan(0);
  }
});

test.skipIf(!withRedis)(
  "cluster: a lone relay, receivers on the publisher's relay and across Redis all deliver",
  () => {
    const cluster = report.scenarios.find((s) => s.name === "cluster");
    if (!cluster) throw new Error("no cluster scenario in the report");
    const results = cluster.results as unknown as Record<string, RunSummary>;
    // Rows name what they measure: no "framecast" row here, which would read as the whole cluster.
    expect(Object.keys(results).sort()).toEqual(["cross-relay", "one-relay", "same-relay"]);
    checkSummary("cluster one-relay", results["one-relay"] as RunSummary, true);
    checkSummary("cluster same-relay", results["same-relay"] as RunSummary, true);
    // Relay B's CPU and memory are not sampled, and its frames were sent on relay A.
    const cross = results["cross-relay"] as RunSummary;
    expect(cross.framesDelivered).toBeGreaterThan(0);
    expect(cross.framesDelivered).toBeLessThanOrEqual(cross.framesExpected);
    expect(cross.latencyMs.p50).toBeLessThanOrEqual(cross.latencyMs.p99);
    expect(cross.latencyMs.p99).toBeLessThanOrEqual(cross.latencyMs.max);
    expect(cross.echoed).toBe(0);
    expect(cross.malformed).toBe(0);
  },
);

test("audio: every phase reports latency, loss and bit rate; sound-only reports relay CPU", () => {
  const audio = report.scenarios.find((s) => s.name === "audio") as unknown as {
    audio: Array<{
      phase: string;
      latencyMs: { p50: number; p99: number; count: number };
      audioSent: number;
      audioLost: number;
      kbitPerStream: number;
      relayCpuUsPerAudioPacket: number | null;
      slowViewer?: { audioReceived: number };
    }>;
  };
  expect(audio.audio.map((p) => p.phase)).toEqual([
    "audio-only",
    "audio-video",
    "slow-viewer-acks",
    "slow-viewer-no-acks",
  ]);
  for (const phase of audio.audio) {
    expect(phase.audioSent, phase.phase).toBeGreaterThan(0);
    expect(phase.latencyMs.count, phase.phase).toBeGreaterThan(0);
    expect(phase.latencyMs.p50, phase.phase).toBeLessThanOrEqual(phase.latencyMs.p99);
    expect(Number.isInteger(phase.audioLost), phase.phase).toBe(true);
    expect(phase.audioLost, phase.phase).toBeGreaterThanOrEqual(0);
    expect(phase.kbitPerStream, phase.phase).toBeGreaterThan(10);
  }
  expect(audio.audio[0]?.relayCpuUsPerAudioPacket).toBeGreaterThan(0);
  expect(audio.audio[2]?.slowViewer?.audioReceived).toBeGreaterThan(0);
});

test("saturation reports its steps and the highest fps each relay sustained", () => {
  const saturation = report.scenarios.find((s) => s.name === "saturation")?.saturation;
  expect(saturation?.steps.length).toBeGreaterThan(0);
  expect(saturation?.maxSustainedFps).toHaveProperty("baseline");
  expect(saturation?.maxSustainedFps).toHaveProperty("framecast");
});

test("writes the latency chart next to the JSON", () => {
  const svgPath = join(dir, "quick.svg");
  expect(existsSync(svgPath)).toBe(true);
  expect(readFileSync(svgPath, "utf8")).toStartWith("<svg");
});
