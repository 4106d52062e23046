// `bun bench --scenario cluster`: one publisher on relay A, receivers split over A and B, the
// relays joined through Redis; next to the same room on one lone relay. Reports three rows:
// one-relay (the same room on a lone relay), same-relay (A's receivers) and cross-relay (B's,
// via Redis).

import { REDIS_SERVER } from "../harness/redis-process.ts";
import type { PhaseReport } from "./client-protocol.ts";
import { type ClusterSession, openClusterSession } from "./cluster-session.ts";
import { measurePhase, type PhaseSample } from "./measure-phase.ts";
import type { Progress, RunPlan, ScenarioResult } from "./run-scenario.ts";
import type { Scenario } from "./scenarios.ts";
import { type RunSummary, summarize } from "./summarize.ts";
import { openSession, type TargetSession } from "./target-session.ts";

export const CLUSTER_NEEDS_RELAYS = "cluster: skipped with --url (it starts its own relays)";
export const CLUSTER_SKIPPED =
  "cluster: skipped, redis-server is not installed (apt-get install redis-server)";

/** The publisher's report with nothing received: B's side needs what was sent, nothing else. */
function sentOnly(report: PhaseReport): PhaseReport {
  return {
    ...report,
    received: [],
    bytesReceived: 0,
    latenciesMs: [],
    sendLatenessMs: [],
    loopLagMs: [],
    maxBufferedBytes: 0,
    malformed: 0,
    echoed: 0,
    disconnects: [],
  };
}

/** Client 0 reported A's side (with the publisher), client 1 B's. */
function splitSides(sample: PhaseSample): { a: PhaseSample; b: PhaseSample } {
  const [onA, onB] = sample.reports;
  if (!onA || !onB) throw new Error("cluster scenario: expected one report per relay side");
  return { a: { ...sample, reports: [onA] }, b: { ...sample, reports: [onB, sentOnly(onA)] } };
}

/** B's row has no relay CPU or memory of its own here (the figures sampled are relay A's). */
function withoutRelayFigures(summary: RunSummary): RunSummary {
  return {
    ...summary,
    relayCpuSeconds: null,
    relayCpuResolution: null,
    relayCpuPercent: null,
    relayCpuUsPerDelivery: null,
    relayPeakRssMB: null,
    relayRssMB: null,
    relayDrops: null,
    conversions: null,
  };
}

export async function runClusterScenario(
  scenario: Scenario,
  relay: { script: string; args: string[] },
  jpeg: Uint8Array,
  plan: RunPlan,
  progress: Progress,
): Promise<ScenarioResult | null> {
  if (!REDIS_SERVER) return null;
  let single: TargetSession | null = null;
  let cluster: ClusterSession | null = null;
  try {
    progress.phase("cluster · connecting", 0);
    single = await openSession(
      { name: "one-relay", script: relay.script, args: relay.args, url: null },
      scenario,
      jpeg,
      plan.clientProcesses,
    );
    cluster = await openClusterSession(relay.script, relay.args, scenario, jpeg);
    const sessions = [single, cluster.session];
    if (plan.warmupSeconds > 0) {
      for (const [i, session] of sessions.entries()) {
        progress.phase(`cluster · ${i ? "two relays" : "one relay"} · warm-up`, plan.warmupSeconds);
        await measurePhase(session, scenario.fps, plan.warmupSeconds * 1000, plan.drainMs);
      }
    }
    const lone: PhaseSample[] = [];
    const sideA: PhaseSample[] = [];
    const sideB: PhaseSample[] = [];
    for (let round = 0; round < plan.rounds; round++) {
      // Interleaved, as for the other scenarios: noise on a shared machine lands on both alike.
      const order = round % 2 === 0 ? sessions : [...sessions].reverse();
      for (const session of order) {
        const label = session === single ? "one relay" : "two relays";
        progress.phase(`cluster · ${label} · round ${round + 1}/${plan.rounds}`, plan.seconds);
        const sample = await measurePhase(session, scenario.fps, plan.seconds * 1000, plan.drainMs);
        if (session === single) {
          lone.push(sample);
        } else {
          const { a, b } = splitSides(sample);
          sideA.push(a);
          sideB.push(b);
        }
      }
    }
    const offset = Math.max(single.clock.maxOffsetMs, cluster.session.clock.maxOffsetMs);
    return {
      scenario,
      results: {
        "one-relay": summarize("one-relay", lone, single.participants, single.clock.maxOffsetMs),
        "same-relay": summarize("same-relay", sideA, cluster.onA, offset),
        "cross-relay": withoutRelayFigures(summarize("cross-relay", sideB, cluster.onB, offset)),
      },
      ratios: null,
    };
  } finally {
    await single?.close();
    await cluster?.session.close();
  }
}
