// The soak scenario's figures over time: slopes over the last half, the text report and an SVG
// of one small line chart per figure (each relay its own line). Pure: bench/tests/ checks it.

/** One relay at one sample. */
export interface SoakRelaySample {
  rssMB: number;
  heapMB: number;
  openFds: number;
  /** Sum of the relay's state counts (rooms, peers, lanes, topics, ...; GET /debug/counts). */
  stateEntries: number;
  /** Relay CPU over the interval, % of one core. */
  cpuPercent: number | null;
}

export interface SoakRow {
  minute: number;
  relays: SoakRelaySample[];
  p50Ms: number | null;
  p99Ms: number | null;
  /** received / expected over the interval (null when nothing was expected). */
  delivery: number | null;
  joins: number;
  leaves: number;
  unexpectedCloses: number;
}

/** Least-squares slope of (x, y). */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Growth over the second half of the run, in % of the half's mean per 10 minutes. */
export function growthPer10Min(rows: SoakRow[], pick: (row: SoakRow) => number | null): number {
  const end = rows.at(-1)?.minute ?? 0;
  const points = rows
    .filter((row) => row.minute >= end / 2)
    .flatMap((row): [number, number][] => {
      const value = pick(row);
      return value === null ? [] : [[row.minute, value]];
    });
  if (points.length < 2) return 0;
  const mean = points.reduce((s, [, y]) => s + y, 0) / points.length;
  return mean === 0 ? 0 : ((slope(points) * 10) / mean) * 100;
}

/** The rows of the first and the last `minutes` (or third of the run, if shorter). */
export function firstAndLast(rows: SoakRow[], minutes = 10): { first: SoakRow[]; last: SoakRow[] } {
  const end = rows.at(-1)?.minute ?? 0;
  const span = Math.min(minutes, end / 3);
  return {
    first: rows.filter((row) => row.minute > 0 && row.minute <= span + 1e-9),
    last: rows.filter((row) => row.minute >= end - span - 1e-9),
  };
}

export function meanOf(rows: SoakRow[], pick: (row: SoakRow) => number | null): number | null {
  const values = rows.map(pick).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

const fmt = (value: number | null, digits = 1) => (value === null ? "-" : value.toFixed(digits));

/** One line per sample, as printed during and after the run. */
export function soakRowLine(row: SoakRow): string {
  const relays = row.relays
    .map(
      (r, i) =>
        `r${i}: rss ${fmt(r.rssMB)} MB heap ${fmt(r.heapMB)} MB fds ${r.openFds} state ${r.stateEntries} cpu ${fmt(r.cpuPercent, 0)}%`,
    )
    .join(" · ");
  return (
    `${row.minute.toFixed(1).padStart(5)} min  ${relays}  p50 ${fmt(row.p50Ms)} p99 ${fmt(row.p99Ms)} ms` +
    `  delivery ${row.delivery === null ? "-" : `${(row.delivery * 100).toFixed(2)}%`}` +
    `  joins ${row.joins} leaves ${row.leaves}${row.unexpectedCloses ? ` unexpected closes ${row.unexpectedCloses}` : ""}`
  );
}

interface Series {
  label: string;
  values: (number | null)[];
}

interface Panel {
  title: string;
  series: Series[];
  /** The axis starts at 0, so a flat line looks flat (memory, counts). */
  zero?: boolean;
}

const COLORS = ["#d94801", "#2171b5", "#238b45", "#6a51a3"];
const W = 440;
const H = 170;
const PAD = { left: 54, right: 12, top: 26, bottom: 26 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function panelSvg(panel: Panel, minutes: number[], x0: number, y0: number): string[] {
  const values = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  let lo = Math.min(...values, Number.POSITIVE_INFINITY);
  let hi = Math.max(...values, Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (panel.zero) lo = Math.min(0, lo);
  if (hi - lo < Math.abs(hi) * 0.02 || hi === lo) {
    // A flat line: show ±5 % around it, so it reads as flat, not as noise blown up.
    const mid = (hi + lo) / 2;
    const half = Math.max(Math.abs(mid) * 0.05, 0.5);
    [lo, hi] = [mid - half, mid + half];
  }
  const tEnd = Math.max(...minutes, 1);
  const px = (t: number) => x0 + PAD.left + (t / tEnd) * (W - PAD.left - PAD.right);
  const py = (v: number) => y0 + PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const out = [
    `<text x="${x0 + PAD.left}" y="${y0 + 16}" font-weight="bold">${escapeXml(panel.title)}</text>`,
    `<rect x="${x0 + PAD.left}" y="${y0 + PAD.top}" width="${W - PAD.left - PAD.right}" height="${H - PAD.top - PAD.bottom}" fill="none" stroke="#ccc"/>`,
  ];
  for (const v of [lo, (lo + hi) / 2, hi]) {
    out.push(
      `<text x="${x0 + PAD.left - 4}" y="${py(v) + 4}" text-anchor="end" font-size="10">${Number(v.toPrecision(4))}</text>`,
    );
  }
  out.push(
    `<text x="${px(tEnd)}" y="${y0 + H - 8}" text-anchor="end" font-size="10">${tEnd.toFixed(1)} min</text>`,
    `<text x="${px(0)}" y="${y0 + H - 8}" font-size="10">0</text>`,
  );
  panel.series.forEach((series, i) => {
    const points = series.values
      .map((v, j) =>
        v === null ? null : `${px(minutes[j] as number).toFixed(1)},${py(v).toFixed(1)}`,
      )
      .filter((p): p is string => p !== null);
    const color = COLORS[i % COLORS.length];
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.join(" ")}"><title>${escapeXml(series.label)}</title></polyline>`,
    );
    if (panel.series.length > 1) {
      out.push(
        `<text x="${x0 + W - PAD.right - 4}" y="${y0 + 16 + i * 12}" text-anchor="end" font-size="10" fill="${color}">${escapeXml(series.label)}</text>`,
      );
    }
  });
  return out;
}

export function soakSvg(rows: SoakRow[], title: string): string {
  const minutes = rows.map((r) => r.minute);
  const relayCount = Math.max(1, ...rows.map((r) => r.relays.length));
  const perRelay = (pick: (r: SoakRelaySample) => number | null): Series[] =>
    Array.from({ length: relayCount }, (_, i) => ({
      label: `relay ${i}`,
      values: rows.map((row) => {
        const relay = row.relays[i];
        return relay ? pick(relay) : null;
      }),
    }));
  const panels: Panel[] = [
    { title: "relay RSS (MB)", series: perRelay((r) => r.rssMB), zero: true },
    { title: "relay JS heap after GC (MB)", series: perRelay((r) => r.heapMB), zero: true },
    { title: "relay open fds", series: perRelay((r) => r.openFds), zero: true },
    {
      title: "relay state entries (maps, sets, timers)",
      series: perRelay((r) => r.stateEntries),
      zero: true,
    },
    { title: "relay CPU (% of a core)", series: perRelay((r) => r.cpuPercent), zero: true },
    {
      title: "latency (ms)",
      series: [
        { label: "p99", values: rows.map((r) => r.p99Ms) },
        { label: "p50", values: rows.map((r) => r.p50Ms) },
      ],
    },
    {
      title: "delivery (%)",
      series: [
        {
          label: "delivery",
          values: rows.map((r) => (r.delivery === null ? null : r.delivery * 100)),
        },
      ],
    },
    {
      title: "joins and leaves per interval",
      series: [
        { label: "joins", values: rows.map((r) => r.joins) },
        { label: "leaves", values: rows.map((r) => r.leaves) },
      ],
    },
  ];
  const columns = 2;
  const width = columns * W + 20;
  const height = 40 + Math.ceil(panels.length / columns) * H + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, i) => {
    parts.push(
      ...panelSvg(panel, minutes, 10 + (i % columns) * W, 34 + Math.floor(i / columns) * H),
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
