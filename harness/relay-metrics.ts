// Reads counters from the relay's Prometheus /metrics. The baseline has none: null there.

const FETCH_TIMEOUT_MS = 2000;

/** Sum of every sample of `name` (all label sets) in Prometheus text; null if absent. */
export function sumMetric(text: string, name: string): number | null {
  let total: number | null = null;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // Exactly this metric: followed by labels or a space, not by a longer name's suffix.
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** The value of one series, written exactly as /metrics prints it (`name{labels}`); null if absent. */
export function metricSample(text: string, series: string): number | null {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

export interface RelayCounters {
  framesDropped: number | null;
  conversions: number | null;
}

export async function readRelayCounters(httpUrl: string): Promise<RelayCounters | null> {
  try {
    const response = await fetch(`${httpUrl}/metrics`, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) return null;
    const text = await response.text();
    return {
      framesDropped: sumMetric(text, "framecast_frames_dropped_total"),
      conversions: sumMetric(text, "framecast_conversions_total"),
    };
  } catch {
    return null;
  }
}

/** after − before, per counter; null where either side is unknown. */
export function counterDelta(before: RelayCounters | null, after: RelayCounters | null) {
  const diff = (a: number | null | undefined, b: number | null | undefined) =>
    a === null || a === undefined || b === null || b === undefined ? null : b - a;
  return {
    framesDropped: diff(before?.framesDropped, after?.framesDropped),
    conversions: diff(before?.conversions, after?.conversions),
  };
}
