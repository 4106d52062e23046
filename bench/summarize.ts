// Turns the raw phase samples of one target into the figures the table and JSON report.

import { type Percentiles, percentiles, round, roundPercentiles } from "../harness/stats.ts";
import type { ParticipantSpec } from "./client-protocol.ts";
import type { PhaseSample } from "./measure-phase.ts";
import { TICK_SECONDS } from "./proc-stats.ts";

export interface LoadGeneratorHealth {
  /** Send time minus scheduled time: near zero means publishers kept their schedule. */
  sendLatenessMs: Percentiles;
  /** Event-loop lag in the load clients: high lag would inflate measured latency. */
  loopLagMs: Percentiles;
  /** CPU of all load-client processes, as % of one core. */
  cpuPercent: number | null;
  maxBufferedBytes: number;
  clockOffsetMs: number;
}

export interface RunSummary {
  target: string;
  phases: number;
  fps: number;
  seconds: number;
  framesSent: number;
  framesExpected: number;
  framesDelivered: number;
  deliveryRatio: number;
  latencyMs: Percentiles;
  deliveredMBps: number;
  /** Relay CPU seconds per phase (mean), and as % of one core over the phase. */
  relayCpuSeconds: number | null;
  /** ± of each phase's relay CPU figure (seconds): 1e-9 from schedstat, 0.01 from ticks. */
  relayCpuResolution: number | null;
  relayCpuPercent: number | null;
  /** Relay CPU per frame delivered: the cost of the path a scenario exercises. */
  relayCpuUsPerDelivery: number | null;
  relayPeakRssMB: number | null;
  relayRssMB: number | null;
  /** framecast_frames_dropped_total over the measured phases; null where there is no /metrics. */
  relayDrops: number | null;
  conversions: number | null;
  loadGenerator: LoadGeneratorHealth;
  malformed: number;
  echoed: number;
  disconnects: string[];
  /** Longest wait for an earlier phase's backlog to drain before a measured phase started. */
  backlogWaitMs: number;
}

function sumOrNull(values: (number | null)[]): number | null {
  return values.some((v) => v === null) ? null : values.reduce<number>((s, v) => s + (v ?? 0), 0);
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value, 1);
}

function maxOrNull(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.max(...known) : null;
}

/** Frames each receiver should get: everything sent by publishers other than itself. */
function expectedFrames(sent: Map<number, number>, participants: ParticipantSpec[]): number {
  let total = 0;
  for (const receiver of participants) {
    for (const [publisher, count] of sent) if (publisher !== receiver.index) total += count;
  }
  return total;
}

export function summarize(
  target: string,
  samples: PhaseSample[],
  participants: ParticipantSpec[],
  clockOffsetMs: number,
): RunSummary {
  let framesSent = 0;
  let framesExpected = 0;
  let framesDelivered = 0;
  let bytes = 0;
  let malformed = 0;
  let echoed = 0;
  let maxBufferedBytes = 0;
  const latencies: number[] = [];
  const lateness: number[] = [];
  const loopLag: number[] = [];
  const disconnects: string[] = [];
  for (const sample of samples) {
    const sent = new Map<number, number>();
    for (const report of sample.reports) {
      for (const [publisher, count] of report.sent) sent.set(publisher, count);
      for (const [, count] of report.received) framesDelivered += count;
      bytes += report.bytesReceived;
      malformed += report.malformed;
      echoed += report.echoed;
      maxBufferedBytes = Math.max(maxBufferedBytes, report.maxBufferedBytes);
      for (const v of report.latenciesMs) latencies.push(v);
      for (const v of report.sendLatenessMs) lateness.push(v);
      for (const v of report.loopLagMs) loopLag.push(v);
      disconnects.push(...report.disconnects);
    }
    for (const count of sent.values()) framesSent += count;
    framesExpected += expectedFrames(sent, participants);
  }
  const seconds = samples.reduce((s, x) => s + x.durationMs / 1000, 0);
  const wallSeconds = samples.reduce((s, x) => s + (x.durationMs + x.drainMs) / 1000, 0);
  const relayCpu = sumOrNull(samples.map((s) => s.relayCpuSeconds));
  const clientCpu = sumOrNull(samples.map((s) => s.clientCpuSeconds));
  const last = samples[samples.length - 1];
  return {
    target,
    phases: samples.length,
    fps: last?.fps ?? 0,
    seconds: round(seconds, 2),
    framesSent,
    framesExpected,
    framesDelivered,
    deliveryRatio: framesExpected ? round(framesDelivered / framesExpected, 5) : 0,
    latencyMs: roundPercentiles(percentiles(latencies)),
    deliveredMBps: seconds ? round(bytes / seconds / 1e6, 2) : 0,
    relayCpuSeconds: relayCpu === null ? null : round(relayCpu / samples.length, 2),
    relayCpuResolution: maxOrNull(samples.map((s) => s.relayCpuResolution)),
    relayCpuPercent: relayCpu === null ? null : round((relayCpu / wallSeconds) * 100, 1),
    relayCpuUsPerDelivery:
      relayCpu === null || framesDelivered === 0
        ? null
        : round((relayCpu / framesDelivered) * 1e6, 2),
    relayPeakRssMB: roundOrNull(maxOrNull(samples.map((s) => s.relayPeakRssMB))),
    relayRssMB: roundOrNull(last?.relayRssMB ?? null),
    relayDrops: sumOrNull(samples.map((s) => s.framesDropped)),
    conversions: sumOrNull(samples.map((s) => s.conversions)),
    loadGenerator: {
      sendLatenessMs: roundPercentiles(percentiles(lateness)),
      loopLagMs: roundPercentiles(percentiles(loopLag)),
      cpuPercent: clientCpu === null ? null : round((clientCpu / wallSeconds) * 100, 1),
      maxBufferedBytes,
      clockOffsetMs: round(clockOffsetMs),
    },
    malformed,
    echoed,
    disconnects,
    backlogWaitMs: Math.max(0, ...samples.map((s) => s.backlogWaitMs)),
  };
}

export interface Ratios {
  /** framecast ÷ baseline: 1.0 means our features cost nothing measurable. */
  latencyP50: number | null;
  latencyP99: number | null;
  relayCpu: number | null;
  relayCpuPerDelivery: number | null;
  relayPeakRss: number | null;
  deliveredMBps: number | null;
  /**
   * How far relayCpu (and relayCpuPerDelivery) may be off, as a fraction, from the resolution
   * CPU time was read at: nothing to speak of from schedstat, but ±1 tick of 10 ms per phase
   * when only /proc/PID/stat could be read (0.4 means ±40%, a short phase). Null without CPU.
   */
  relayCpuUncertainty: number | null;
}

/** Above this, the CPU ratios are shown as rough ("~") with a note saying why. */
export const CPU_RATIO_ROUGH = 0.05;

function ratio(ours: number | null, floor: number | null): number | null {
  if (ours === null || floor === null || floor === 0) return null;
  return round(ours / floor, 2);
}

export function ratios(ours: RunSummary, floor: RunSummary): Ratios {
  return {
    latencyP50: ratio(ours.latencyMs.p50, floor.latencyMs.p50),
    latencyP99: ratio(ours.latencyMs.p99, floor.latencyMs.p99),
    relayCpu: ratio(ours.relayCpuSeconds, floor.relayCpuSeconds),
    relayCpuPerDelivery: ratio(ours.relayCpuUsPerDelivery, floor.relayCpuUsPerDelivery),
    relayPeakRss: ratio(ours.relayPeakRssMB, floor.relayPeakRssMB),
    deliveredMBps: ratio(ours.deliveredMBps, floor.deliveredMBps),
    relayCpuUncertainty: cpuUncertainty(ours, floor),
  };
}

/** Relative error of a ratio of two per-phase CPU figures, each ± its resolution. */
function cpuUncertainty(ours: RunSummary, floor: RunSummary): number | null {
  const [a, b] = [ours.relayCpuSeconds, floor.relayCpuSeconds];
  if (a === null || b === null) return null;
  if (a <= 0 || b <= 0) return Number.POSITIVE_INFINITY;
  const resolution = (s: RunSummary) => s.relayCpuResolution ?? TICK_SECONDS;
  return round(resolution(ours) / a + resolution(floor) / b, 2);
}
