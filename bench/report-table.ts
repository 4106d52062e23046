// The terminal tables: results per scenario and target, ratios to the baseline, and the
// load generator's own health (so a reader can tell the clients were not the bottleneck).
import type { ScenarioResult } from "./run-scenario.ts";
import { CPU_RATIO_ROUGH, type RunSummary } from "./summarize.ts";
import type { TargetName } from "./target-session.ts";

type Cell = string | number | null;

/** Baseline first, then framecast, whatever order the phases ran in. */
function inTargetOrder(results: Partial<Record<TargetName, RunSummary>>): RunSummary[] {
  return (["baseline", "framecast", "one-relay", "same-relay", "cross-relay"] as const).flatMap(
    (t) => results[t] ?? [],
  );
}

function formatCell(value: Cell, decimals = 1): string {
  if (value === null) return "n/a";
  if (typeof value === "string") return value;
  return Number.isInteger(value) ? String(value) : value.toFixed(decimals);
}

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function resultRow(scenario: string, summary: RunSummary): string[] {
  const ms = (v: number) => formatCell(v, v < 10 ? 2 : 1);
  return [
    scenario,
    summary.target,
    formatCell(summary.framesSent),
    formatCell(summary.framesExpected),
    formatCell(summary.framesDelivered),
    formatCell(summary.deliveryRatio * 100, 2),
    ms(summary.latencyMs.p50),
    ms(summary.latencyMs.p90),
    ms(summary.latencyMs.p99),
    ms(summary.latencyMs.max),
    formatCell(summary.deliveredMBps, 1),
    formatCell(summary.relayCpuSeconds, 2),
    formatCell(summary.relayCpuPercent, 0),
    formatCell(summary.relayCpuUsPerDelivery, 1),
    formatCell(summary.relayPeakRssMB === null ? null : Math.round(summary.relayPeakRssMB)),
    formatCell(summary.relayDrops),
  ];
}

/** Saturation rows name the step they report: its highest sustained fps. */
function scenarioLabel(result: ScenarioResult, summary: RunSummary): string {
  return result.scenario.fpsSteps ? `${result.scenario.name}@${summary.fps}` : result.scenario.name;
}

export function resultsTable(results: ScenarioResult[]): string {
  const header = [
    "scenario",
    "relay",
    "sent",
    "expected",
    "delivered",
    "deliv%",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "MB/s",
    "cpu s",
    "cpu%",
    "µs/dlv",
    "rss MB",
    "drops",
  ];
  const rows: string[][] = [];
  for (const result of results) {
    for (const summary of inTargetOrder(result.results)) {
      rows.push(resultRow(scenarioLabel(result, summary), summary));
    }
  }
  return renderTable(header, rows);
}

/**
 * Ratios to the baseline. Throughput is not among them: both relays are offered the same load,
 * so delivered MB/s differ only by lost frames (deliv% in the results table). CPU ratios from
 * too few /proc ticks (a --quick run) are marked "~" and explained below the table.
 */
export function ratiosTable(results: ScenarioResult[]): string {
  const header = ["scenario", "framecast ÷ baseline", "p50", "p99", "cpu", "µs/dlv", "peak rss"];
  let worstUncertainty = 0;
  const rows = results.flatMap((r) => {
    if (!r.ratios) return [];
    const uncertainty = r.ratios.relayCpuUncertainty;
    const rough = uncertainty !== null && uncertainty > CPU_RATIO_ROUGH;
    if (rough) worstUncertainty = Math.max(worstUncertainty, uncertainty);
    const cpu = (value: number | null) =>
      `${rough && value !== null ? "~" : ""}${formatCell(value, 2)}`;
    return [
      [
        r.scenario.name,
        "",
        formatCell(r.ratios.latencyP50, 2),
        formatCell(r.ratios.latencyP99, 2),
        cpu(r.ratios.relayCpu),
        cpu(r.ratios.relayCpuPerDelivery),
        formatCell(r.ratios.relayPeakRss, 2),
      ],
    ];
  });
  if (rows.length === 0) return "";
  const table = renderTable(header, rows);
  if (worstUncertainty === 0) return table;
  const bound = Number.isFinite(worstUncertainty)
    ? `up to ±${Math.round(worstUncertainty * 100)}%`
    : "unbounded (a relay used no measurable CPU)";
  return (
    `${table}\n~ rough: relay CPU could only be read in 10 ms ticks (/proc/PID/stat; schedstat ` +
    `was not readable) and these phases used too few of them (error ${bound}); ` +
    `run longer (--seconds, not --quick) for CPU ratios`
  );
}

export function saturationLines(results: ScenarioResult[]): string {
  return results
    .flatMap((r) => {
      if (!r.saturation) return [];
      const header = ["fps", "relay", "deliv%", "p99 ms", "relay cpu%", "clients cpu%", ""];
      const rows = r.saturation.steps.flatMap((step) =>
        inTargetOrder(step.results).map((s) => [
          String(step.fps),
          s.target,
          formatCell(s.deliveryRatio * 100, 2),
          formatCell(s.latencyMs.p99, 1),
          formatCell(s.relayCpuPercent, 0),
          formatCell(s.loadGenerator.cpuPercent, 0),
          step.retried.includes(s.target as TargetName) ? "(second try)" : "",
        ]),
      );
      const max = Object.entries(r.saturation.maxSustainedFps)
        .map(([target, fps]) => `${target} ${fps ?? "none"}`)
        .join(", ");
      return [
        `saturation, ${r.scenario.receivers} receivers × ${r.scenario.frameBytes / 1000} KB: ` +
          `highest fps sustained: ${max}; table rows and ratios at ${r.saturation.comparedAtFps} fps`,
        renderTable(header, rows),
      ];
    })
    .join("\n");
}

export function loadGeneratorTable(results: ScenarioResult[]): string {
  const header = [
    "scenario",
    "relay",
    "send late p50",
    "send late p99",
    "loop lag p99",
    "loop lag max",
    "clients cpu%",
    "max buffered KB",
    "clock skew ms",
  ];
  const rows: string[][] = [];
  for (const result of results) {
    for (const s of inTargetOrder(result.results)) {
      const g = s.loadGenerator;
      rows.push([
        result.scenario.name,
        s.target,
        formatCell(g.sendLatenessMs.p50, 2),
        formatCell(g.sendLatenessMs.p99, 2),
        formatCell(g.loopLagMs.p99, 2),
        formatCell(g.loopLagMs.max, 1),
        formatCell(g.cpuPercent, 0),
        formatCell(Math.round(g.maxBufferedBytes / 1000)),
        formatCell(g.clockOffsetMs, 3),
      ]);
    }
  }
  return renderTable(header, rows);
}

/** Anything odd the reader must see: malformed or echoed frames, dropped connections. */
export function warnings(results: ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const result of results) {
    for (const s of inTargetOrder(result.results)) {
      const where = `${result.scenario.name} on ${s.target}`;
      if (s.malformed)
        lines.push(`${where}: ${s.malformed} frames of the wrong size or unreadable`);
      if (s.echoed) lines.push(`${where}: ${s.echoed} frames echoed back to their sender`);
      if (s.disconnects.length)
        lines.push(`${where}: ${s.disconnects.length} disconnects (${s.disconnects[0]})`);
    }
  }
  return lines;
}
