// The scenarios of issue 4, and how command-line overrides apply to them.

export const SCENARIO_NAMES = [
  "meeting",
  "webinar",
  "large-room",
  "stalled",
  "base64",
  "saturation",
  "fanout-480",
  "slow-viewer",
  "cluster",
  "audio",
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Scenario {
  name: BenchScenario;
  description: string;
  /** Participants that publish; they also receive everyone else's frames. */
  publishers: number;
  /** Receive-only participants. */
  receivers: number;
  /** JPEG bytes per frame (1 KB = 1000 bytes). */
  frameBytes: number;
  fps: number;
  /** Everyone on the old base64 text protocol at "/" instead of /v1 binary. */
  legacy: boolean;
  /** Extra receivers that join, then stop reading (SIGSTOP); not counted in delivery. */
  stalledReceivers: number;
  /** Saturation only: raise fps through these steps until a limit below is crossed. */
  fpsSteps?: number[];
  /** slow-viewer only: extra viewers that draw this many fps, with and without acks. */
  slowViewerFps?: number;
}

/** Saturation stops at the first step delivering less than this, or with p99 above the next. */
export const SATURATION_MIN_DELIVERY = 0.99;
export const SATURATION_MAX_P99_MS = 100;

const KB = 1000;

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  meeting: {
    name: "meeting",
    description: "4 participants all-to-all, 40 KB at 30 fps",
    publishers: 4,
    receivers: 0,
    frameBytes: 40 * KB,
    fps: 30,
    legacy: false,
    stalledReceivers: 0,
  },
  webinar: {
    name: "webinar",
    description: "1 publisher to 50 receivers, 40 KB at 30 fps",
    publishers: 1,
    receivers: 50,
    frameBytes: 40 * KB,
    fps: 30,
    legacy: false,
    stalledReceivers: 0,
  },
  "large-room": {
    name: "large-room",
    description: "12 participants all-to-all, 20 KB at 15 fps",
    publishers: 12,
    receivers: 0,
    frameBytes: 20 * KB,
    fps: 15,
    legacy: false,
    stalledReceivers: 0,
  },
  stalled: {
    name: "stalled",
    description: "meeting plus one receiver that stops reading",
    publishers: 4,
    receivers: 0,
    frameBytes: 40 * KB,
    fps: 30,
    legacy: false,
    stalledReceivers: 1,
  },
  base64: {
    name: "base64",
    description: "meeting over the old base64 text protocol",
    publishers: 4,
    receivers: 0,
    frameBytes: 40 * KB,
    fps: 30,
    legacy: true,
    stalledReceivers: 0,
  },
  saturation: {
    name: "saturation",
    description:
      "1 publisher to 20 receivers, 100 KB, fps raised until delivery < 99% or p99 > 100 ms",
    publishers: 1,
    receivers: 20,
    frameBytes: 100 * KB,
    fps: 30,
    legacy: false,
    stalledReceivers: 0,
    // Bun's pub/sub writes one buffer to every socket, so the ceiling is far above camera rates.
    fpsSteps: [30, 60, 120, 240, 480, 960, 1440, 1920, 2880],
  },
  "fanout-480": {
    name: "fanout-480",
    description:
      "1 publisher to 20 receivers, 100 KB at 240 fps: 480 MB/s of fan-out, rate limits off",
    publishers: 1,
    receivers: 20,
    frameBytes: 100 * KB,
    fps: 240,
    legacy: false,
    stalledReceivers: 0,
  },
  "slow-viewer": {
    name: "slow-viewer",
    description:
      "1 publisher to 1 fast receiver, 40 KB at 30 fps, plus viewers drawing 10 fps with and without acks",
    publishers: 1,
    receivers: 1,
    frameBytes: 40 * KB,
    fps: 30,
    legacy: false,
    stalledReceivers: 0,
    slowViewerFps: 10,
  },
  cluster: {
    name: "cluster",
    description:
      "1 publisher on relay A to 20 receivers, 10 on A and 10 on relay B (Redis between), 40 KB at 30 fps; also on one lone relay",
    publishers: 1,
    receivers: 20,
    frameBytes: 40 * KB,
    fps: 30,
    legacy: false,
    stalledReceivers: 0,
  },
  audio: {
    name: "audio",
    description:
      "4 participants with sound (Opus 32 kbit/s, 20 ms) and video (20 KB at 15 fps, acked); then plus one slow viewer",
    publishers: 4,
    receivers: 0,
    frameBytes: 20 * KB,
    fps: 15,
    legacy: false,
    stalledReceivers: 0,
  },
};

export interface ScenarioOverrides {
  publishers?: number;
  receivers?: number;
  frameBytes?: number;
  fps?: number;
}

/** Geometric fps steps from `start`, ×1.5 each, as saturation uses when --fps is given. */
function stepsFrom(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(start * 1.5 ** i));
}

export function applyOverrides(scenario: Scenario, overrides: ScenarioOverrides): Scenario {
  const result: Scenario = { ...scenario };
  if (overrides.publishers !== undefined) result.publishers = overrides.publishers;
  if (overrides.receivers !== undefined) result.receivers = overrides.receivers;
  if (overrides.frameBytes !== undefined) result.frameBytes = overrides.frameBytes;
  if (overrides.fps !== undefined) {
    result.fps = overrides.fps;
    if (result.fpsSteps) result.fpsSteps = stepsFrom(overrides.fps, scenario.fpsSteps?.length ?? 8);
  }
  return result;
}

/** Quick runs climb saturation in three big steps (×4) to stay inside the time budget. */
export function quickSteps(steps: number[]): number[] {
  const first = steps[0] ?? 30;
  return [first * 4, first * 16, first * 64];
}

/** Scenarios with their own report instead of a row of the tables (bench/layers-scenario.ts). */
export const REPORT_SCENARIOS = ["layers", "codecs", "soak"] as const;
/** Scenarios only run when named: `all` leaves them out (soak runs for --minutes, default 30). */
export const NAMED_ONLY: readonly BenchScenario[] = ["soak"];
export type BenchScenario = ScenarioName | (typeof REPORT_SCENARIOS)[number];

/** The layers scenario's load, fixed by bench/layers-scenario.ts (no overrides); for --json. */
export const LAYERS_SCENARIO: Scenario = {
  name: "layers",
  description:
    "4 senders × 30 fps → 8 acking receivers, one layer vs three; the CLI behind a 1 Mbit/s proxy; sender upload per layer",
  publishers: 4,
  receivers: 8,
  frameBytes: 40 * KB,
  fps: 30,
  legacy: false,
  stalledReceivers: 0,
};

/** The codecs scenario's shape, for --json (bench/codecs-scenario.ts fixes its load). */
export const CODECS_SCENARIO: Scenario = {
  name: "codecs",
  description:
    "MJPEG -q:v 5 vs H.264 at equal SSIM on testsrc2 640x480@30 (bytes, sender CPU); a 16-person room's downlink; relay CPU per delivered frame, kind 1 vs kind 4",
  publishers: 3,
  receivers: 10,
  frameBytes: 20 * KB,
  fps: 30,
  legacy: false,
  stalledReceivers: 0,
};

/** The soak scenario's load, fixed by bench/soak-scenario.ts (only --minutes and --relays); for --json. */
export const SOAK_SCENARIO: Scenario = {
  name: "soak",
  description:
    "a room of 16 with churn (one leaves and one joins every 4 s), stalls and dropped sockets, for --minutes; relay memory, fds and state counts over time",
  publishers: 5,
  receivers: 11,
  frameBytes: 15 * KB,
  fps: 15,
  legacy: false,
  stalledReceivers: 2,
};

export function parseScenarioList(value: string): BenchScenario[] {
  const known: readonly string[] = [...SCENARIO_NAMES, ...REPORT_SCENARIOS];
  if (value === "all")
    return known.filter((n) => !NAMED_ONLY.includes(n as BenchScenario)) as BenchScenario[];
  const names = value.split(",").map((s) => s.trim());
  for (const name of names) {
    if (!known.includes(name)) {
      throw new Error(`unknown scenario "${name}"; choose from ${known.join(", ")}, all`);
    }
  }
  return names as BenchScenario[];
}
