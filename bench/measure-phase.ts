// Runs one timed phase on a session and samples the relay around it: CPU from /proc, memory,
// and the drop/conversion counters from /metrics.

import { counterDelta, readRelayCounters } from "../harness/relay-metrics.ts";
import type { PhaseReport } from "./client-protocol.ts";
import { nowMs } from "./client-protocol.ts";
import { cpuMeter, memoryStats } from "./proc-stats.ts";
import type { TargetSession } from "./target-session.ts";

/** Time between telling the clients and their first frame, so they all start together. */
export const START_LEAD_MS = 150;
/** A phase starts once no frame has arrived for this long (backlog of the last one drained). */
const QUIET_MS = 250;
const MAX_DRAIN_WAIT_MS = 20_000;

export interface PhaseSample {
  fps: number;
  durationMs: number;
  drainMs: number;
  /** How long the phase waited for an earlier backlog to drain before starting. */
  backlogWaitMs: number;
  reports: PhaseReport[];
  relayCpuSeconds: number | null;
  /** ± of relayCpuSeconds: 1 ns from schedstat, 10 ms from the tick fallback. */
  relayCpuResolution: number | null;
  clientCpuSeconds: number | null;
  relayRssMB: number | null;
  relayPeakRssMB: number | null;
  framesDropped: number | null;
  conversions: number | null;
}

let phaseCounter = 0;

export async function measurePhase(
  session: TargetSession,
  fps: number,
  durationMs: number,
  drainMs: number,
): Promise<PhaseSample> {
  const backlogWaitMs = await session.pool.waitQuiet(QUIET_MS, MAX_DRAIN_WAIT_MS);
  const countersBefore = await readRelayCounters(session.httpUrl);
  const relayCpu = cpuMeter(session.relayPid);
  const clientCpus = session.clientPids.map((pid) => cpuMeter(pid));
  const reports = await session.pool.runPhase({
    phase: ++phaseCounter,
    startAt: nowMs() + START_LEAD_MS,
    durationMs,
    fps,
    drainMs,
  });
  const relayCpuSeconds = relayCpu.stop();
  const clientCpu = clientCpus.map((m) => m.stop());
  const death = session.relayDeath();
  if (death) throw new Error(death);
  const memory = session.relayPid === null ? null : memoryStats(session.relayPid);
  const delta = counterDelta(countersBefore, await readRelayCounters(session.httpUrl));
  return {
    fps,
    durationMs,
    drainMs,
    backlogWaitMs: Math.round(backlogWaitMs),
    reports,
    relayCpuSeconds,
    relayCpuResolution: relayCpu.resolution,
    clientCpuSeconds: clientCpu.some((c) => c === null)
      ? null
      : clientCpu.reduce<number>((sum, c) => sum + (c ?? 0), 0),
    relayRssMB: memory?.rssMB ?? null,
    relayPeakRssMB: memory?.peakRssMB ?? null,
    framesDropped: delta.framesDropped,
    conversions: delta.conversions,
  };
}
