// The codecs scenario's relay cost: the same fan-out (3 senders → 10 receivers and each other,
// frames of the same size and rate) once as JPEG (kind 1) and once as H.264 (kind 4, a key
// frame every 30th, receivers joined with codecs=h264), with acks (paced lanes) and without
// (kind 4's clean streams, relay/delivery/h264/). Four relays, one per row, phases interleaved.
import type { PhaseSample } from "./measure-phase.ts";
import { type Progress, type RunPlan, runFixed, runScenario } from "./run-scenario.ts";
import type { Scenario } from "./scenarios.ts";
import { type RunSummary, summarize } from "./summarize.ts";
import type { TargetName, TargetSpec } from "./target-session.ts";

export const RELAY_COST_SCENARIO: Scenario = {
  name: "codecs",
  description:
    "relay cost: 3 senders → 10 receivers and each other, 20 KB at 30 fps, JPEG (kind 1) vs H.264 (kind 4)",
  // Three senders, not one: at 30 fps one sender's frames cost the relay so little CPU per
  // phase that a loaded machine's noise swamped the comparison (rounds read 0.94-1.73×).
  publishers: 3,
  receivers: 10,
  frameBytes: 20_000,
  fps: 30,
  legacy: false,
  stalledReceivers: 0,
};

/** Kind 4 may cost the relay at most this much more per delivered frame than JPEG (issue 20). */
export const RELAY_COST_TARGET = 1.1;

export interface RelayCostRow {
  target: TargetName;
  acks: boolean;
  kind: 1 | 4;
  phases: number;
  framesDelivered: number;
  deliveryRatio: number;
  relayCpuSeconds: number | null;
  relayCpuUsPerDelivery: number | null;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface RelayCostFigures {
  scenario: Scenario;
  rows: RelayCostRow[];
  /**
   * H.264 ÷ JPEG relay CPU per delivered frame, with and without acks: the median over rounds
   * of each round's ratio (the two phases of a round run back to back, so background load
   * on a shared machine hits both alike); null when unmeasured.
   */
  ratioAcks: number | null;
  ratioNoAcks: number | null;
  /** Each round's ratio, in order. */
  roundRatiosAcks: number[];
  roundRatiosNoAcks: number[];
  /** The same ratios from all rounds pooled (the rows' µs/dlv). */
  pooledRatioAcks: number | null;
  pooledRatioNoAcks: number | null;
  target: number;
}

const PAIRS: Array<{ name: TargetName; acks: boolean; h264: boolean }> = [
  { name: "jpeg-acks", acks: true, h264: false },
  { name: "h264-acks", acks: true, h264: true },
  { name: "jpeg", acks: false, h264: false },
  { name: "h264", acks: false, h264: true },
];

function row(summary: RunSummary | undefined, spec: (typeof PAIRS)[number]): RelayCostRow | null {
  if (!summary) return null;
  return {
    target: spec.name,
    acks: spec.acks,
    kind: spec.h264 ? 4 : 1,
    phases: summary.phases,
    framesDelivered: summary.framesDelivered,
    deliveryRatio: summary.deliveryRatio,
    relayCpuSeconds: summary.relayCpuSeconds,
    relayCpuUsPerDelivery: summary.relayCpuUsPerDelivery,
    latencyP50Ms: summary.latencyMs.p50,
    latencyP99Ms: summary.latencyMs.p99,
  };
}

function ratioOf(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100;
}

function pooled(rows: RelayCostRow[], ours: TargetName, floor: TargetName): number | null {
  const of = (target: TargetName) => rows.find((r) => r.target === target)?.relayCpuUsPerDelivery;
  return ratioOf(of(ours), of(floor));
}

/** µs/dlv of each target, round by round. */
type PerRound = Map<TargetName, Array<number | null>>;

function roundRatios(perRound: PerRound, ours: TargetName, floor: TargetName): number[] {
  const a = perRound.get(ours) ?? [];
  const b = perRound.get(floor) ?? [];
  return a.flatMap((value, round) => ratioOf(value, b[round]) ?? []);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(value * 100) / 100;
}

export async function runRelayCost(
  relay: { script: string; args: string[] },
  jpeg: Uint8Array,
  plan: RunPlan,
  progress: Progress,
  scenario: Scenario = RELAY_COST_SCENARIO,
): Promise<RelayCostFigures> {
  const targets: TargetSpec[] = PAIRS.map((pair) => ({
    name: pair.name,
    script: relay.script,
    args: relay.args,
    url: null,
    acks: pair.acks,
    h264: pair.h264,
  }));
  const perRound: PerRound = new Map();
  const result = await runScenario(scenario, targets, jpeg, plan, progress, (...args) =>
    runFixed(...args, (session, round, sample: PhaseSample) => {
      const one = summarize(session.target, [sample], session.participants, 0);
      const list = perRound.get(session.target) ?? [];
      list[round] = one.relayCpuUsPerDelivery;
      perRound.set(session.target, list);
    }),
  );
  const rows = PAIRS.flatMap((pair) => row(result.results[pair.name], pair) ?? []);
  const roundRatiosAcks = roundRatios(perRound, "h264-acks", "jpeg-acks");
  const roundRatiosNoAcks = roundRatios(perRound, "h264", "jpeg");
  return {
    scenario,
    rows,
    ratioAcks: median(roundRatiosAcks),
    ratioNoAcks: median(roundRatiosNoAcks),
    roundRatiosAcks,
    roundRatiosNoAcks,
    pooledRatioAcks: pooled(rows, "h264-acks", "jpeg-acks"),
    pooledRatioNoAcks: pooled(rows, "h264", "jpeg"),
    target: RELAY_COST_TARGET,
  };
}
