// The slow-viewer scenario: one publisher to one fast receiver (the usual figures), plus viewers
// that can only draw `slowViewerFps` frames a second (harness/processes/slow-viewer.ts), one that acks and one
// that doesn't, for one long phase per relay (3 × --seconds). Reports each slow viewer's median
// delay over the first and last third of the phase: without acks it grows as the backlog builds
// in the relay's and the kernel's buffers; with acks it should stay put. The baseline relay knows
// no acks, so it gets only the viewer that doesn't ack.

import { medianDelay, type SlowViewer, startSlowViewer } from "../harness/slow-viewer-process.ts";
import { nowMs } from "./client-protocol.ts";
import { measurePhase, START_LEAD_MS } from "./measure-phase.ts";
import type { Progress, RunPlan, ScenarioResult } from "./run-scenario.ts";
import type { Scenario } from "./scenarios.ts";
import { type RunSummary, ratios, summarize } from "./summarize.ts";
import type { TargetName, TargetSession } from "./target-session.ts";

/** The measured phase is this many times --seconds; "early" and "late" are its first and last thirds. */
const THIRDS = 3;

export interface SlowViewerRow {
  target: TargetName;
  acks: boolean;
  viewerFps: number;
  framesDrawn: number;
  /** Median delay (receive − capture) over the first third, the last third and the last second. */
  earlyMs: number;
  lateMs: number;
  lastSecondMs: number;
}

function viewerUrl(session: TargetSession, name: string): string {
  const url = new URL(session.participants[0]?.url ?? session.relayUrl);
  url.searchParams.set("name", name);
  return url.toString();
}

export async function runSlowViewer(
  scenario: Scenario,
  sessions: TargetSession[],
  plan: RunPlan,
  progress: Progress,
): Promise<ScenarioResult> {
  const viewerFps = scenario.slowViewerFps ?? 10;
  const durationMs = plan.seconds * THIRDS * 1000;
  const third = durationMs / THIRDS;
  const results: Partial<Record<TargetName, RunSummary>> = {};
  const rows: SlowViewerRow[] = [];
  for (const session of sessions) {
    const viewers: SlowViewer[] = [];
    try {
      viewers.push(await startSlowViewer(viewerUrl(session, "slow-no-ack"), viewerFps, false));
      if (session.target === "framecast") {
        viewers.push(await startSlowViewer(viewerUrl(session, "slow-ack"), viewerFps, true));
      }
      progress.phase(`${scenario.name} · ${session.target}`, durationMs / 1000);
      const start = nowMs() + START_LEAD_MS;
      const sample = await measurePhase(session, scenario.fps, durationMs, plan.drainMs);
      const end = start + durationMs;
      results[session.target] = summarize(
        session.target,
        [sample],
        session.participants,
        session.clock.maxOffsetMs,
      );
      for (const viewer of viewers) {
        rows.push({
          target: session.target,
          acks: viewer.acks,
          viewerFps,
          framesDrawn: viewer.frames.filter((f) => f.receivedMs >= start && f.receivedMs < end)
            .length,
          earlyMs: medianDelay(viewer.frames, start, start + third),
          lateMs: medianDelay(viewer.frames, end - third, end),
          lastSecondMs: medianDelay(viewer.frames, end - 1000, end),
        });
      }
    } finally {
      await Promise.all(viewers.map((v) => v.stop()));
    }
  }
  return {
    scenario,
    results,
    ratios:
      results.framecast && results.baseline ? ratios(results.framecast, results.baseline) : null,
    slowViewer: rows,
  };
}

/** The table printed after the main ones. */
export function slowViewerLines(results: ScenarioResult[]): string {
  return results
    .flatMap((r) => {
      if (!r.slowViewer?.length) return [];
      const header =
        `slow viewer (draws ${r.slowViewer[0]?.viewerFps} fps of a ${r.scenario.fps} fps stream): ` +
        "median delay over the first → last third of the phase";
      const lines = r.slowViewer.map(
        (row) =>
          `  ${row.target.padEnd(9)} ${row.acks ? "acks   " : "no acks"}  ${String(row.framesDrawn).padStart(5)} frames  ` +
          `${row.earlyMs.toFixed(0).padStart(6)} ms → ${row.lateMs.toFixed(0).padStart(6)} ms  (last second ${row.lastSecondMs.toFixed(0)} ms)`,
      );
      return [header, ...lines];
    })
    .join("\n");
}
