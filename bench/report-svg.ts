// A self-contained SVG bar chart of latency percentiles per scenario, baseline next to
// framecast. Log scale: p50 and p99 often differ by 10x or more.
import type { ScenarioResult } from "./run-scenario.ts";

const PERCENTILES = ["p50", "p90", "p99"] as const;
const COLORS: Record<string, string[]> = {
  baseline: ["#c6dbef", "#6baed6", "#2171b5"],
  framecast: ["#fdd0a2", "#fd8d3c", "#d94801"],
  "one-relay": ["#fdd0a2", "#fd8d3c", "#d94801"],
  "same-relay": ["#c7e9c0", "#74c476", "#238b45"],
  "cross-relay": ["#dadaeb", "#9e9ac8", "#6a51a3"],
};
const BAR = 14;
const GAP = 6;
const GROUP_GAP = 34;
const TOP = 50;
const PLOT_HEIGHT = 300;
const LEFT = 60;

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function latencySvg(results: ScenarioResult[], title: string): string {
  const targets = ["baseline", "framecast", "one-relay", "same-relay", "cross-relay"].filter((t) =>
    results.some((r) => r.results[t as keyof typeof r.results]),
  );
  const values = results.flatMap((r) =>
    Object.values(r.results).flatMap((s) => PERCENTILES.map((p) => s.latencyMs[p])),
  );
  const minLog = Math.floor(Math.log10(Math.max(0.01, Math.min(...values, 1))));
  const maxLog = Math.ceil(Math.log10(Math.max(...values, 1)));
  const y = (ms: number) =>
    TOP +
    PLOT_HEIGHT -
    ((Math.log10(Math.max(ms, 10 ** minLog)) - minLog) / (maxLog - minLog || 1)) * PLOT_HEIGHT;
  const groupWidth = targets.length * PERCENTILES.length * (BAR + 2) + GAP;
  const legendWidth = targets.length * PERCENTILES.length * 120;
  const width = LEFT + Math.max(results.length * (groupWidth + GROUP_GAP), legendWidth) + 20;
  const height = TOP + PLOT_HEIGHT + 90;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let e = minLog; e <= maxLog; e++) {
    const gy = y(10 ** e);
    parts.push(
      `<line x1="${LEFT}" x2="${width - 10}" y1="${gy}" y2="${gy}" stroke="#ddd"/>`,
      `<text x="${LEFT - 6}" y="${gy + 4}" text-anchor="end">${10 ** e} ms</text>`,
    );
  }
  results.forEach((result, g) => {
    const x0 = LEFT + 10 + g * (groupWidth + GROUP_GAP);
    let x = x0;
    for (const target of targets) {
      const summary = result.results[target as keyof typeof result.results];
      PERCENTILES.forEach((p, i) => {
        if (summary) {
          const ms = summary.latencyMs[p];
          const top = y(ms);
          parts.push(
            `<rect x="${x}" y="${top}" width="${BAR}" height="${TOP + PLOT_HEIGHT - top}" fill="${COLORS[target]?.[i]}">` +
              `<title>${escapeXml(`${result.scenario.name} ${target} ${p}: ${ms} ms`)}</title></rect>`,
          );
        }
        x += BAR + 2;
      });
      x += GAP;
    }
    parts.push(
      `<text x="${(x0 + x) / 2}" y="${TOP + PLOT_HEIGHT + 18}" text-anchor="middle">${escapeXml(result.scenario.name)}</text>`,
    );
  });
  let lx = LEFT;
  const ly = TOP + PLOT_HEIGHT + 50;
  for (const target of targets) {
    PERCENTILES.forEach((p, i) => {
      parts.push(
        `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[target]?.[i]}"/>`,
        `<text x="${lx + 16}" y="${ly}">${target} ${p}</text>`,
      );
      lx += 120;
    });
  }
  parts.push("</svg>");
  return parts.join("\n");
}
