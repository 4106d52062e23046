// The bench's ratio table on made-up results: CPU ratios resting on too few 10 ms ticks (when
// schedstat can't be read) are marked rough and explained; no throughput column (both relays get
// the same load, so it read 1.00).
import { expect, test } from "bun:test";
import { ratiosTable } from "../report-table.ts";
import type { ScenarioResult } from "../run-scenario.ts";
import { type RunSummary, ratios } from "../summarize.ts";

function summary(
  target: "baseline" | "framecast",
  cpuSeconds: number,
  resolution: number,
): RunSummary {
  return {
    target,
    relayCpuResolution: resolution,
    latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, count: 100 },
    relayCpuSeconds: cpuSeconds,
    relayCpuUsPerDelivery: cpuSeconds * 10,
    relayPeakRssMB: 50,
    deliveredMBps: 14.4,
  } as unknown as RunSummary;
}

/** `resolution`: 0.01 when CPU came from /proc/PID/stat's ticks, 1e-9 from schedstat. */
function result(
  name: string,
  oursCpu: number,
  floorCpu: number,
  resolution = 0.01,
): ScenarioResult {
  const framecast = summary("framecast", oursCpu, resolution);
  const baseline = summary("baseline", floorCpu, resolution);
  return {
    scenario: { name },
    results: { baseline, framecast },
    ratios: ratios(framecast, baseline),
  } as unknown as ScenarioResult;
}

test("CPU ratios from a few 10 ms ticks are marked ~ with a note; long runs and schedstat are not", () => {
  const quick = ratiosTable([result("meeting", 0.06, 0.04)]);
  const row = quick.split("\n").find((line) => line.startsWith("meeting")) ?? "";
  expect(row).toContain("~1.50");
  expect(quick).toMatch(/~ rough: relay CPU could only be read in 10 ms ticks .*±42%/);

  const long = ratiosTable([result("meeting", 6, 4)]);
  expect(long).toContain("1.50");
  expect(long).not.toContain("~");

  // Nanoseconds from schedstat: the same short phases are exact enough.
  const fine = ratiosTable([result("meeting", 0.06, 0.04, 1e-9)]);
  expect(fine).toContain("1.50");
  expect(fine).not.toContain("~");
});

test("the ratio table has no MB/s column (it could only ever read 1.00)", () => {
  const table = ratiosTable([result("meeting", 6, 4)]);
  expect(table.split("\n")[0]).not.toContain("MB/s");
});
