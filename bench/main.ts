// `bun bench`: fan-out latency, throughput and relay cost per scenario, each next to a raw
// Bun.serve baseline. See docs/BENCH.md.
import { existsSync, writeFileSync } from "node:fs";
import { exitQuietlyOnClosedStdout, writeStdout } from "../cli/stdout.ts";
import { versionLine } from "../cli/version.ts";
import { findFfmpeg } from "../client/find-ffmpeg.ts";
import { killAll } from "../harness/child-processes.ts";
import { makeJpegFrame } from "../harness/jpeg-frames.ts";
import { generateRoomKey } from "../protocol/index.ts";
import { audioLines, runAudioScenario } from "./audio-scenario.ts";
import { type BenchOptions, BenchUsageError, parseOptions, USAGE } from "./cli-options.ts";
import { CLUSTER_NEEDS_RELAYS, CLUSTER_SKIPPED, runClusterScenario } from "./cluster-scenario.ts";
import { runLayersBench } from "./layers-scenario.ts";
import { machineInfo, versions } from "./machine-info.ts";
import { ProgressLine } from "./progress-line.ts";
import { latencySvg } from "./report-svg.ts";
import {
  loadGeneratorTable,
  ratiosTable,
  resultsTable,
  saturationLines,
  warnings,
} from "./report-table.ts";
import { type RunPlan, runScenario, type ScenarioResult } from "./run-scenario.ts";
import { slowViewerLines } from "./run-slow-viewer.ts";
import { applyOverrides, quickSteps, SCENARIOS } from "./scenarios.ts";
import type { TargetSpec } from "./target-session.ts";

const BASELINE_RELAY = new URL("./processes/baseline-relay.ts", import.meta.url).pathname;

function targetsFor(options: BenchOptions): TargetSpec[] {
  const framecast: TargetSpec = options.url
    ? { name: "framecast", script: null, args: [], url: options.url }
    : { name: "framecast", script: options.relayScript, args: options.relayArgs, url: null };
  framecast.acks = options.acks;
  // Both relays get the same sealed frames: neither reads them, so the baseline stays the floor.
  const e2eeKey = options.e2ee ? generateRoomKey() : undefined;
  framecast.e2eeKey = e2eeKey;
  if (!options.url && !existsSync(options.relayScript)) {
    throw new Error(`relay script ${options.relayScript} not found (run from the repository root)`);
  }
  const baseline: TargetSpec = {
    name: "baseline",
    script: BASELINE_RELAY,
    args: [],
    url: null,
    e2eeKey,
  };
  return options.baseline ? [baseline, framecast] : [framecast];
}

/** Generous upper bound on the whole run; past it the bench kills everything and fails. */
function deadlineSeconds(options: BenchOptions, targets: number): number {
  const perScenario =
    targets *
      (options.warmupSeconds + options.rounds * (options.seconds + options.drainMs / 1000 + 1)) +
    15;
  const saturation = targets * 9 * (options.stepSeconds + options.drainMs / 1000 + 1);
  return Math.ceil((options.scenarios.length * perScenario + saturation) * 2 + 30);
}

function jsonReport(
  options: BenchOptions,
  plan: RunPlan,
  results: ScenarioResult[],
  startedAt: Date,
) {
  return {
    tool: "framecast bench",
    schema: 1,
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    command: process.argv.slice(2),
    quick: options.quick,
    machine: machineInfo(),
    versions: versions(),
    relay: options.url
      ? { url: options.url }
      : { script: options.relayScript, args: options.relayArgs },
    plan,
    scenarios: results.map((r) => ({
      name: r.scenario.name,
      description: r.scenario.description,
      config: r.scenario,
      results: r.results,
      ratios: r.ratios,
      saturation: r.saturation,
      slowViewer: r.slowViewer,
      audio: r.audio,
    })),
  };
}

function svgPathFor(jsonPath: string): string {
  return jsonPath.endsWith(".json") ? `${jsonPath.slice(0, -5)}.svg` : `${jsonPath}.svg`;
}

async function main(): Promise<number> {
  exitQuietlyOnClosedStdout();
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`bench: ${error.message} (see --help)\n`);
    return 2;
  }
  if (options === "help") {
    writeStdout(USAGE);
    return 0;
  }
  if (options === "version") {
    writeStdout(versionLine("bench"));
    return 0;
  }
  const targets = targetsFor(options);
  const plan: RunPlan = {
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    rounds: options.rounds,
    drainMs: options.drainMs,
    stepSeconds: options.stepSeconds,
    retryFailedSteps: !options.quick,
    clientProcesses: options.clientProcesses,
  };
  const deadline = deadlineSeconds(options, targets.length);
  setTimeout(() => {
    process.stderr.write(`\nbench: still running after ${deadline} s; stopping everything\n`);
    killAll();
    process.exit(1);
  }, deadline * 1000).unref();

  const startedAt = new Date();
  const progress = new ProgressLine();
  progress.scenarioCount = options.scenarios.length;
  const frames = new Map<number, Uint8Array>();
  const results: ScenarioResult[] = [];
  const skipped: string[] = [];
  const layerLines: string[] = [];
  try {
    for (const [i, name] of options.scenarios.entries()) {
      progress.scenarioIndex = i + 1;
      if (name === "layers") {
        if (options.url) skipped.push("layers: skipped with --url (it starts its own relays)");
        else if (options.quick && !process.argv.some((arg) => arg.includes("layers"))) {
          skipped.push("layers: skipped by --quick (run bun bench --scenario layers)");
        } else {
          progress.phase("layers", options.seconds * 4 + 20);
          const ffmpeg = await findFfmpeg(null);
          layerLines.push(
            ...(await runLayersBench({
              relayScript: options.relayScript,
              relayArgs: options.relayArgs,
              seconds: options.seconds,
              ffmpeg,
            })),
          );
        }
        continue;
      }
      let scenario = applyOverrides(SCENARIOS[name], options.overrides);
      if (options.quick && scenario.fpsSteps) {
        scenario = { ...scenario, fpsSteps: quickSteps(scenario.fpsSteps) };
      }
      let jpeg = frames.get(scenario.frameBytes);
      if (!jpeg) {
        jpeg = makeJpegFrame(scenario.frameBytes);
        frames.set(scenario.frameBytes, jpeg);
      }
      if (name === "audio") {
        // Its own participants (bench/processes/audio-load.ts) and relay; no baseline (it knows no audio).
        const relay = options.url
          ? { url: options.url }
          : { script: options.relayScript, args: options.relayArgs };
        results.push(await runAudioScenario(scenario, relay, plan, progress));
        continue;
      }
      if (name === "cluster") {
        // Starts its own redis-server and two relays; skipped without redis-server or with --url.
        const relay = { script: options.relayScript, args: options.relayArgs };
        const result = options.url
          ? null
          : await runClusterScenario(scenario, relay, jpeg, plan, progress);
        if (result) results.push(result);
        else skipped.push(options.url ? CLUSTER_NEEDS_RELAYS : CLUSTER_SKIPPED);
        continue;
      }
      results.push(await runScenario(scenario, targets, jpeg, plan, progress));
    }
  } finally {
    progress.done();
  }
  for (const line of skipped) console.log(line);

  const machine = machineInfo();
  console.log(
    `framecast bench ${startedAt.toISOString().slice(0, 10)} · ${machine.cores} cores ${machine.cpuModel} · ` +
      `bun ${Bun.version} · ${options.quick ? "quick" : `${plan.rounds}×${plan.seconds} s per target`}` +
      `${options.e2ee ? " · frames end-to-end encrypted (--e2ee)" : ""}${options.acks ? " · acks" : ""}\n`,
  );
  if (results.length > 0) console.log(resultsTable(results));
  const ratioText = ratiosTable(results);
  if (ratioText) console.log(`\n${ratioText}`);
  const saturation = saturationLines(results);
  if (saturation) console.log(`\n${saturation}`);
  const slowViewers = slowViewerLines(results);
  if (slowViewers) console.log(`\n${slowViewers}`);
  if (layerLines.length > 0) console.log(`\n${layerLines.join("\n")}`);
  const audio = audioLines(results);
  if (audio) console.log(`\n${audio}`);
  if (results.length > 0) console.log(`\nload generator health\n${loadGeneratorTable(results)}`);
  for (const line of warnings(results)) console.log(`warning: ${line}`);

  if (options.json) {
    writeFileSync(
      options.json,
      `${JSON.stringify(jsonReport(options, plan, results, startedAt), null, 2)}\n`,
    );
    const svgPath = svgPathFor(options.json);
    writeFileSync(
      svgPath,
      latencySvg(
        results,
        `framecast bench ${startedAt.toISOString().slice(0, 10)}: latency (ms, log scale)`,
      ),
    );
    console.log(`\nwrote ${options.json} and ${svgPath}`);
  }
  return 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping everything\n`);
    killAll();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAll();
    process.stderr.write(
      `\nbench failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
