// `bun bench`: fan-out latency, throughput and relay cost per scenario, each next to a raw
// Bun.serve baseline. See docs/BENCH.md.
import { existsSync, writeFileSync } from "node:fs";
import { exitQuietlyOnClosedStdout, writeStdout } from "../cli/stdout.ts";
import { versionLine } from "../cli/version.ts";
import { killAll } from "../harness/child-processes.ts";
import { generateRoomKey } from "../protocol/index.ts";
import { audioLines } from "./audio-scenario.ts";
import { type BenchOptions, BenchUsageError, parseOptions, USAGE } from "./cli-options.ts";
import { codecsSvg } from "./codecs-svg.ts";
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
import type { RunPlan, ScenarioResult } from "./run-scenario.ts";
import { slowViewerLines } from "./run-slow-viewer.ts";
import { jpegCache, SCENARIO_TABLE, type ScenarioContext } from "./scenario-table.ts";
import type { TargetSpec } from "./target-session.ts";

const BASELINE_RELAY = new URL("./processes/baseline-relay.ts", import.meta.url).pathname;

function targetsFor(options: BenchOptions): TargetSpec[] {
  const framecast: TargetSpec = options.url
    ? { name: "framecast", script: null, args: [], url: options.url }
    : { name: "framecast", script: options.relayScript, args: options.relayArgs, url: null };
  framecast.acks = options.acks;
  framecast.h264 = options.h264;
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
  const soak = options.scenarios.includes("soak") ? options.soak.minutes * 60 + 300 : 0;
  return Math.ceil((options.scenarios.length * perScenario + saturation) * 2 + 30 + soak);
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
      layers: r.layers,
      codecs: r.codecs,
      soak: r.soak,
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
  const results: ScenarioResult[] = [];
  const skipped: string[] = [];
  const context: ScenarioContext = {
    options,
    argv: process.argv.slice(2),
    targets,
    plan,
    progress,
    jpeg: jpegCache(),
  };
  try {
    for (const [i, name] of options.scenarios.entries()) {
      progress.scenarioIndex = i + 1;
      const entry = SCENARIO_TABLE[name];
      const skip = entry.skip(context);
      if (skip) skipped.push(skip);
      else results.push(await entry.run(entry.config(context), context));
    }
  } finally {
    progress.done();
  }
  for (const line of skipped) console.log(line);

  const machine = machineInfo();
  console.log(
    `framecast bench ${startedAt.toISOString().slice(0, 10)} · ${machine.cores} cores ${machine.cpuModel} · ` +
      `bun ${Bun.version} · ${options.quick ? "quick" : `${plan.rounds}×${plan.seconds} s per target`}` +
      `${options.e2ee ? " · frames end-to-end encrypted (--e2ee)" : ""}${options.acks ? " · acks" : ""}${options.h264 ? " · H.264 (kind 4)" : ""}\n`,
  );
  // Scenarios with a report of their own (layers) have no row in the tables.
  const tabled = results.filter((r) => !r.report);
  if (tabled.length > 0) console.log(resultsTable(tabled));
  const ratioText = ratiosTable(tabled);
  if (ratioText) console.log(`\n${ratioText}`);
  const saturation = saturationLines(results);
  if (saturation) console.log(`\n${saturation}`);
  const slowViewers = slowViewerLines(results);
  if (slowViewers) console.log(`\n${slowViewers}`);
  for (const r of results) if (r.report) console.log(`\n${r.report.join("\n")}`);
  const audio = audioLines(results);
  if (audio) console.log(`\n${audio}`);
  if (tabled.length > 0) console.log(`\nload generator health\n${loadGeneratorTable(tabled)}`);
  for (const line of warnings(tabled)) console.log(`warning: ${line}`);

  if (options.json) {
    writeFileSync(
      options.json,
      `${JSON.stringify(jsonReport(options, plan, results, startedAt), null, 2)}\n`,
    );
    const svgPath = svgPathFor(options.json);
    writeFileSync(
      svgPath,
      latencySvg(
        tabled,
        `framecast bench ${startedAt.toISOString().slice(0, 10)}: latency (ms, log scale)`,
      ),
    );
    console.log(`\nwrote ${options.json} and ${svgPath}`);
    const codecs = results.find((r) => r.codecs)?.codecs;
    if (codecs) {
      const codecsPath = svgPath.replace(/\.svg$/, ".codecs.svg");
      writeFileSync(
        codecsPath,
        codecsSvg(
          codecs,
          `framecast bench ${startedAt.toISOString().slice(0, 10)}: MJPEG vs H.264`,
        ),
      );
      console.log(`wrote ${codecsPath}`);
    }
  }
  const failures = results.flatMap((r) => r.failures ?? []);
  for (const line of failures) console.log(`FAIL ${line}`);
  return failures.length > 0 ? 1 : 0;
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
