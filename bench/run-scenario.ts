// Runs one scenario against every target, interleaving their phases (A B, then B A, ...) so
// background noise on this shared machine lands on both alike.
import type { AudioPhaseResult } from "./audio-scenario.ts";
import type { CodecsFigures } from "./codecs-scenario.ts";
import type { LayersFigures } from "./layers-scenario.ts";
import { measurePhase, type PhaseSample } from "./measure-phase.ts";
import type { SlowViewerRow } from "./run-slow-viewer.ts";
import { SATURATION_MAX_P99_MS, SATURATION_MIN_DELIVERY, type Scenario } from "./scenarios.ts";
import type { SoakFigures } from "./soak-scenario.ts";
import { type Ratios, type RunSummary, ratios, summarize } from "./summarize.ts";
import {
  openSession,
  type TargetName,
  type TargetSession,
  type TargetSpec,
} from "./target-session.ts";

export interface RunPlan {
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  drainMs: number;
  stepSeconds: number;
  /** Measure a failed saturation step once more before calling it the limit. */
  retryFailedSteps: boolean;
  clientProcesses: number;
}

export interface Progress {
  /** Called as each phase starts; `seconds` is how long it will run. */
  phase(label: string, seconds: number): void;
}

export interface SaturationStep {
  fps: number;
  results: Partial<Record<TargetName, RunSummary>>;
  /** Targets whose first try at this step failed and were measured once more. */
  retried: TargetName[];
}

export interface ScenarioResult {
  scenario: Scenario;
  /** Per target; for saturation, the figures at the highest step all targets sustained. */
  results: Partial<Record<TargetName, RunSummary>>;
  ratios: Ratios | null;
  /** audio: each phase's sound figures (audio-scenario.ts). */
  audio?: AudioPhaseResult[];
  /** layers: its own figures (layers-scenario.ts); `results` is empty. */
  layers?: LayersFigures;
  /** codecs: its own figures (codecs-scenario.ts); `results` is empty. */
  codecs?: CodecsFigures;
  /** soak: its figures over time (soak-scenario.ts). */
  soak?: SoakFigures;
  /** Why the scenario failed its own checks (codecs, soak): the bench then exits 1. */
  failures?: string[];
  /** Text printed after the tables, for scenarios with their own report (layers). */
  report?: string[];
  /** slow-viewer: each slow viewer's delay early and late in its phase (run-slow-viewer.ts). */
  slowViewer?: SlowViewerRow[];
  saturation?: {
    steps: SaturationStep[];
    /** Highest fps meeting both limits; null if even the first step failed. */
    maxSustainedFps: Partial<Record<TargetName, number | null>>;
    /** The step `results` and `ratios` come from. */
    comparedAtFps: number | null;
  };
}

function interleaved(sessions: TargetSession[], round: number): TargetSession[] {
  return round % 2 === 0 ? sessions : [...sessions].reverse();
}

function sustained(summary: RunSummary): boolean {
  return (
    summary.deliveryRatio >= SATURATION_MIN_DELIVERY &&
    summary.latencyMs.p99 <= SATURATION_MAX_P99_MS
  );
}

function assertDelivered(scenario: Scenario, summary: RunSummary): void {
  if (summary.framesDelivered === 0) {
    throw new Error(
      `${scenario.name} on ${summary.target}: delivered nothing (${summary.framesSent} frames sent` +
        `${summary.disconnects.length ? `; ${summary.disconnects.join("; ")}` : ""})`,
    );
  }
}

export async function runFixed(
  scenario: Scenario,
  sessions: TargetSession[],
  plan: RunPlan,
  progress: Progress,
  /** Each measured phase as it ends (the codecs scenario pairs phases round by round). */
  onPhase?: (session: TargetSession, round: number, sample: PhaseSample) => void,
): Promise<ScenarioResult> {
  const samples = new Map<TargetName, PhaseSample[]>(sessions.map((s) => [s.target, []]));
  for (let round = 0; round < plan.rounds; round++) {
    for (const session of interleaved(sessions, round)) {
      progress.phase(
        `${scenario.name} · ${session.target} · round ${round + 1}/${plan.rounds}`,
        plan.seconds,
      );
      const sample = await measurePhase(session, scenario.fps, plan.seconds * 1000, plan.drainMs);
      samples.get(session.target)?.push(sample);
      onPhase?.(session, round, sample);
    }
  }
  const results: Partial<Record<TargetName, RunSummary>> = {};
  for (const session of sessions) {
    const summary = summarize(
      session.target,
      samples.get(session.target) ?? [],
      session.participants,
      session.clock.maxOffsetMs,
    );
    assertDelivered(scenario, summary);
    results[session.target] = summary;
  }
  return {
    scenario,
    results,
    ratios:
      results.framecast && results.baseline ? ratios(results.framecast, results.baseline) : null,
  };
}

async function measureStep(
  session: TargetSession,
  fps: number,
  plan: RunPlan,
  progress: Progress,
  attempt: string,
): Promise<RunSummary> {
  progress.phase(`saturation · ${session.target} · ${fps} fps${attempt}`, plan.stepSeconds);
  const sample = await measurePhase(session, fps, plan.stepSeconds * 1000, plan.drainMs);
  return summarize(session.target, [sample], session.participants, session.clock.maxOffsetMs);
}

export async function runSaturation(
  scenario: Scenario,
  sessions: TargetSession[],
  plan: RunPlan,
  progress: Progress,
): Promise<ScenarioResult> {
  const steps: SaturationStep[] = [];
  const maxSustainedFps: Partial<Record<TargetName, number | null>> = {};
  for (const session of sessions) maxSustainedFps[session.target] = null;
  let climbing = [...sessions];
  for (const [stepIndex, fps] of (scenario.fpsSteps ?? [scenario.fps]).entries()) {
    if (climbing.length === 0) break;
    const step: SaturationStep = { fps, results: {}, retried: [] };
    for (const session of interleaved(climbing, stepIndex)) {
      let summary = await measureStep(session, fps, plan, progress, "");
      if (stepIndex === 0) assertDelivered(scenario, summary);
      if (!sustained(summary) && plan.retryFailedSteps) {
        // One noisy second on a shared machine must not end the climb: a step fails twice.
        step.retried.push(session.target);
        summary = await measureStep(session, fps, plan, progress, " (again)");
      }
      step.results[session.target] = summary;
      if (sustained(summary)) maxSustainedFps[session.target] = fps;
      else climbing = climbing.filter((s) => s !== session);
    }
    steps.push(step);
  }
  // Compare the relays under the same load: the highest step every one of them sustained.
  const compared =
    steps.findLast(
      (step) =>
        Object.values(step.results).every(sustained) &&
        Object.keys(step.results).length === sessions.length,
    ) ?? steps[0];
  const results = compared?.results ?? {};
  return {
    scenario,
    results,
    ratios:
      results.framecast && results.baseline ? ratios(results.framecast, results.baseline) : null,
    saturation: { steps, maxSustainedFps, comparedAtFps: compared?.fps ?? null },
  };
}

/** How a scenario measures the sessions `runScenario` opened (fixed phases, saturation, slow viewers). */
export type Measure = (
  scenario: Scenario,
  sessions: TargetSession[],
  plan: RunPlan,
  progress: Progress,
) => Promise<ScenarioResult>;

/** Opens a session per target, warms them up, measures them with `measure`, closes them. */
export async function runScenario(
  scenario: Scenario,
  targets: TargetSpec[],
  jpeg: Uint8Array,
  plan: RunPlan,
  progress: Progress,
  measure: Measure,
): Promise<ScenarioResult> {
  const sessions: TargetSession[] = [];
  try {
    progress.phase(`${scenario.name} · connecting`, 0);
    // Both at once: setting up is not measured, and a failed one must not leak the other.
    const opened = await Promise.allSettled(
      targets.map((target) => openSession(target, scenario, jpeg, plan.clientProcesses)),
    );
    for (const result of opened) if (result.status === "fulfilled") sessions.push(result.value);
    const failed = opened.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    if (plan.warmupSeconds > 0) {
      for (const session of sessions) {
        progress.phase(`${scenario.name} · ${session.target} · warm-up`, plan.warmupSeconds);
        await measurePhase(
          session,
          scenario.fpsSteps?.[0] ?? scenario.fps,
          plan.warmupSeconds * 1000,
          plan.drainMs,
        );
      }
    }
    return await measure(scenario, sessions, plan, progress);
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}
