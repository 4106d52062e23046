// Every scenario `bun bench` knows, in one table: its load, when this run skips it, and how it
// runs. main.ts walks the table once; nothing else dispatches on a scenario's name or shape.
import { findFfmpeg } from "../client/find-ffmpeg.ts";
import { makeJpegFrame } from "../harness/jpeg-frames.ts";
import { REDIS_SERVER } from "../harness/redis-process.ts";
import { runAudioScenario } from "./audio-scenario.ts";
import type { BenchOptions } from "./cli-options.ts";
import { CLUSTER_NEEDS_RELAYS, CLUSTER_SKIPPED, runClusterScenario } from "./cluster-scenario.ts";
import { runCodecsBench } from "./codecs-scenario.ts";
import { runLayersBench } from "./layers-scenario.ts";
import {
  type Measure,
  type Progress,
  type RunPlan,
  runFixed,
  runSaturation,
  runScenario,
  type ScenarioResult,
} from "./run-scenario.ts";
import { runSlowViewer } from "./run-slow-viewer.ts";
import {
  applyOverrides,
  type BenchScenario,
  CODECS_SCENARIO,
  LAYERS_SCENARIO,
  quickSteps,
  SCENARIOS,
  type Scenario,
  type ScenarioName,
  SOAK_SCENARIO,
} from "./scenarios.ts";
import { runSoakScenario } from "./soak-scenario.ts";
import type { TargetSpec } from "./target-session.ts";

export interface ScenarioContext {
  options: BenchOptions;
  /** The command line as typed (a scenario named on it is never skipped by --quick). */
  argv: string[];
  targets: TargetSpec[];
  plan: RunPlan;
  progress: Progress;
  /** One JPEG per frame size, made once per run. */
  jpeg(bytes: number): Uint8Array;
}

export interface ScenarioEntry {
  /** The scenario's load for this run (overrides and --quick applied). */
  config(context: ScenarioContext): Scenario;
  /** Why this run skips the scenario, or null to run it. */
  skip(context: ScenarioContext): string | null;
  run(scenario: Scenario, context: ScenarioContext): Promise<ScenarioResult>;
}

function configured(name: ScenarioName): ScenarioEntry["config"] {
  return ({ options }) => {
    const scenario = applyOverrides(SCENARIOS[name], options.overrides);
    return options.quick && scenario.fpsSteps
      ? { ...scenario, fpsSteps: quickSteps(scenario.fpsSteps) }
      : scenario;
  };
}

/** A scenario run against every target (framecast and the baseline), measured by `measure`. */
function againstTargets(name: ScenarioName, measure: Measure): ScenarioEntry {
  return {
    config: configured(name),
    skip: () => null,
    run: (scenario, { targets, plan, progress, jpeg }) =>
      runScenario(scenario, targets, jpeg(scenario.frameBytes), plan, progress, measure),
  };
}

function relayOf(options: BenchOptions) {
  return options.url
    ? { url: options.url }
    : { script: options.relayScript, args: options.relayArgs };
}

export const SCENARIO_TABLE: Record<BenchScenario, ScenarioEntry> = {
  meeting: againstTargets("meeting", runFixed),
  webinar: againstTargets("webinar", runFixed),
  "large-room": againstTargets("large-room", runFixed),
  stalled: againstTargets("stalled", runFixed),
  base64: againstTargets("base64", runFixed),
  saturation: againstTargets("saturation", runSaturation),
  "fanout-480": againstTargets("fanout-480", runFixed),
  "slow-viewer": againstTargets("slow-viewer", runSlowViewer),
  cluster: {
    config: configured("cluster"),
    // Starts its own redis-server and two relays.
    skip: ({ options }) =>
      options.url ? CLUSTER_NEEDS_RELAYS : REDIS_SERVER ? null : CLUSTER_SKIPPED,
    run: async (scenario, { options, plan, progress, jpeg }) => {
      const relay = { script: options.relayScript, args: options.relayArgs };
      const result = await runClusterScenario(
        scenario,
        relay,
        jpeg(scenario.frameBytes),
        plan,
        progress,
      );
      if (!result) throw new Error(CLUSTER_SKIPPED);
      return result;
    },
  },
  audio: {
    config: configured("audio"),
    skip: () => null,
    // Its own participants (bench/processes/audio-load.ts) and relay; no baseline (it knows no audio).
    run: (scenario, { options, plan, progress }) =>
      runAudioScenario(scenario, relayOf(options), plan, progress),
  },
  layers: {
    config: () => LAYERS_SCENARIO,
    skip: ({ options, argv }) => {
      if (options.url) return "layers: skipped with --url (it starts its own relays)";
      if (options.quick && !argv.some((arg) => arg.includes("layers"))) {
        return "layers: skipped by --quick (run npm run bench -- --scenario layers)";
      }
      return null;
    },
    run: async (scenario, { options, progress }) => {
      progress.phase("layers", options.seconds * 4 + 20);
      const { lines, figures } = await runLayersBench({
        relayScript: options.relayScript,
        relayArgs: options.relayArgs,
        seconds: options.seconds,
        ffmpeg: await findFfmpeg(null),
      });
      return { scenario, results: {}, ratios: null, layers: figures, report: lines };
    },
  },
  codecs: {
    config: () => CODECS_SCENARIO,
    skip: ({ options, argv }) => {
      if (options.quick && !argv.some((arg) => arg.includes("codecs"))) {
        return "codecs: skipped by --quick (run npm run bench -- --scenario codecs)";
      }
      return null;
    },
    run: async (scenario, context) => {
      const { options, progress, jpeg } = context;
      const ffmpeg = await findFfmpeg(null);
      const { lines, figures } = await runCodecsBench({
        ffmpeg,
        relayScript: options.relayScript,
        relayArgs: options.relayArgs,
        encodeSeconds: options.quick ? 2 : 10,
        // It starts its own relays: with --url the relay cost is left out.
        relayPlan: options.url ? null : codecsRelayPlan(context),
        liveSeconds: options.url ? null : options.quick ? 1 : 3,
        jpeg,
        progress,
      });
      return {
        scenario,
        results: {},
        ratios: null,
        codecs: figures,
        failures: figures.failures,
        report: lines,
      };
    },
  },
  soak: {
    config: () => SOAK_SCENARIO,
    skip: ({ options }) => {
      if (options.url) return "soak: skipped with --url (it starts its own relays)";
      if (options.soak.relays === 2 && !REDIS_SERVER) {
        return "soak: --relays 2 needs redis-server (apt-get install redis-server)";
      }
      return null;
    },
    run: (scenario, { options, progress }) =>
      runSoakScenario(
        scenario,
        {
          ...options.soak,
          relayScript: options.relayScript,
          relayArgs: options.relayArgs,
          json: options.json,
        },
        progress,
      ),
  },
};

/**
 * The codecs scenario's relay phases: many short ones (3 s × 5 rounds, or --seconds × --rounds
 * when typed; 300 ms drain, plenty for 20 KB frames) since the encodes come first and the
 * default run stays near two minutes; the ratio is the median of the rounds' ratios.
 */
function codecsRelayPlan({ options, argv, plan }: ScenarioContext): RunPlan {
  const typed = (flag: string) => argv.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (options.quick) return { ...plan, seconds: options.seconds, rounds: 1, warmupSeconds: 0 };
  return {
    ...plan,
    seconds: typed("--seconds") ? options.seconds : 3,
    rounds: typed("--rounds") ? options.rounds : 5,
    warmupSeconds: 1,
    drainMs: 300,
  };
}

/** The JPEG cache a run's scenarios share. */
export function jpegCache(): (bytes: number) => Uint8Array {
  const frames = new Map<number, Uint8Array>();
  return (bytes) => {
    let jpeg = frames.get(bytes);
    if (!jpeg) {
      jpeg = makeJpegFrame(bytes);
      frames.set(bytes, jpeg);
    }
    return jpeg;
  };
}
