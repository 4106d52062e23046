// `bun bench` command line.
import { parseArgs } from "node:util";
import { flagErrorText } from "../cli/flag-errors.ts";
import { type BenchScenario, parseScenarioList, type ScenarioOverrides } from "./scenarios.ts";

export const USAGE = `Usage: npm run bench -- [options]      (with Bun installed: bun bench [options])

  --scenario NAME|all     meeting, webinar, large-room, stalled, base64, saturation,
                          fanout-480, slow-viewer, cluster (needs redis-server), layers (its
                          own report: relay CPU and bytes per receiver with layers, a 1 Mbit/s
                          receiver, sender upload; skipped by --quick unless named), audio
                          (sound with video, and with a slow viewer), codecs (its own
                          report: MJPEG vs H.264 bytes and sender CPU at equal SSIM, a
                          16-person room's downlink, relay CPU for kind 1 vs kind 4; fails
                          when H.264 takes more than 1/3 of MJPEG's bytes; skipped by
                          --quick unless named; needs ffmpeg with libx264), soak (only
                          when named: a room of 16 with churn, stalls and dropped sockets for
                          --minutes; fails if a relay count is not back to baseline after
                          everyone left or its memory keeps growing)
                          (comma-separated list allowed; default all, which leaves out soak)
  --minutes N             soak: how long (default 30)
  --sample-seconds N      soak: seconds between samples (default 60; 15 under 10 minutes)
  --relays 1|2            soak: one relay, or two joined through Redis (needs redis-server)
  --url ws://HOST:PORT    measure a relay that is already running instead of starting one
  --seconds N             measured seconds per phase (default 10; 1.2 with --quick) and
                          per saturation step (default 3; 1 with --quick)
  --rounds N              measured phases per target, interleaved with the baseline (default 2)
  --json FILE             write every figure as JSON, and a latency chart as FILE.svg
  --quick                 every scenario briefly (about 70 s on 2 cores)
  --publishers N  --receivers N  --frame-bytes N  --fps N
                          override the scenario's shape (saturation: --fps is the first step)
  --clients N             load-generator processes (default 2)
  --relay PATH            relay script to start (default relay/main.ts)
  --relay-arg ARG         extra argument for that relay (repeatable), e.g. --relay-arg=--backpressure-limit=1048576
  --no-baseline           skip the raw Bun.serve baseline (no ratios)
  --acks                  framecast's participants join with ?ack=1 and ack every frame
                          (receiver-paced delivery; the baseline knows no acks)
  --h264                  framecast's publishers send the frames as kind 4 (H.264, a key frame
                          every 30th) and receivers join with codecs=h264: the relay's H.264 path
  --e2ee                  publishers seal every frame end to end (AES-GCM, a bench room key),
                          as encrypted rooms do; the relays forward them unread (v1 scenarios)
  -h, --help              this text
  --version               print the version
`;

export interface BenchOptions {
  scenarios: BenchScenario[];
  url: string | null;
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  stepSeconds: number;
  drainMs: number;
  json: string | null;
  quick: boolean;
  overrides: ScenarioOverrides;
  clientProcesses: number;
  relayScript: string;
  relayArgs: string[];
  baseline: boolean;
  acks: boolean;
  /** Publishers send end-to-end encrypted frames (bench --e2ee). */
  e2ee: boolean;
  /** Framecast's publishers send kind 4, receivers declare codecs=h264 (bench --h264). */
  h264: boolean;
  /** soak: minutes, seconds between samples, relays (1, or 2 on Redis). */
  soak: { minutes: number; sampleSeconds: number; relays: 1 | 2 };
}

function positive(name: string, value: string | undefined, integer = true): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new Error(
      `--${name} must be a positive ${integer ? "integer" : "number"}, got "${value}"`,
    );
  }
  return number;
}

/** A mistake on the command line: one line of text, exit code 2 (like the relay and client). */
export class BenchUsageError extends Error {}

/** Parses argv; "help"/"version" when those were asked for. Throws BenchUsageError on bad input. */
export function parseOptions(argv: string[]): BenchOptions | "help" | "version" {
  try {
    return parseOrThrow(argv);
  } catch (error) {
    if (error instanceof BenchUsageError) throw error;
    throw new BenchUsageError(flagErrorText(error));
  }
}

function parseOrThrow(argv: string[]): BenchOptions | "help" | "version" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scenario: { type: "string", default: "all" },
      url: { type: "string" },
      seconds: { type: "string" },
      rounds: { type: "string" },
      json: { type: "string" },
      quick: { type: "boolean", default: false },
      publishers: { type: "string" },
      receivers: { type: "string" },
      "frame-bytes": { type: "string" },
      fps: { type: "string" },
      clients: { type: "string" },
      relay: { type: "string", default: "relay/main.ts" },
      "relay-arg": { type: "string", multiple: true, default: [] },
      "no-baseline": { type: "boolean", default: false },
      acks: { type: "boolean", default: false },
      e2ee: { type: "boolean", default: false },
      h264: { type: "boolean", default: false },
      minutes: { type: "string" },
      "sample-seconds": { type: "string" },
      relays: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  if (values.version) return "version";
  const quick = values.quick ?? false;
  if (values.url !== undefined && !/^wss?:\/\/[^/]+\/?$/.test(values.url)) {
    throw new Error(`--url must look like ws://127.0.0.1:8765, got "${values.url}"`);
  }
  const receivers = values.receivers === undefined ? undefined : Number(values.receivers);
  if (receivers !== undefined && !(Number.isInteger(receivers) && receivers >= 0)) {
    throw new Error(`--receivers must be a whole number, got "${values.receivers}"`);
  }
  const seconds = positive("seconds", values.seconds, false);
  const minutes = positive("minutes", values.minutes, false) ?? 30;
  if (values.relays !== undefined && values.relays !== "1" && values.relays !== "2") {
    throw new Error(`--relays must be 1 or 2, got "${values.relays}"`);
  }
  return {
    scenarios: parseScenarioList(values.scenario ?? "all"),
    url: values.url ?? null,
    seconds: seconds ?? (quick ? 1.2 : 10),
    rounds: positive("rounds", values.rounds) ?? (quick ? 1 : 2),
    // Quick is a smoke run: its first phase doubles as JIT warm-up.
    warmupSeconds: quick ? 0 : 2,
    // --seconds also sets the length of each saturation step.
    stepSeconds: seconds ?? (quick ? 1 : 3),
    drainMs: quick ? 300 : 1000,
    json: values.json ?? null,
    quick,
    overrides: {
      publishers: positive("publishers", values.publishers),
      receivers,
      frameBytes: positive("frame-bytes", values["frame-bytes"]),
      fps: positive("fps", values.fps, false),
    },
    clientProcesses: positive("clients", values.clients) ?? 2,
    relayScript: values.relay ?? "relay/main.ts",
    relayArgs: values["relay-arg"] ?? [],
    baseline: !values["no-baseline"],
    acks: values.acks ?? false,
    e2ee: values.e2ee ?? false,
    h264: values.h264 ?? false,
    soak: {
      minutes,
      sampleSeconds:
        positive("sample-seconds", values["sample-seconds"], false) ?? (minutes < 10 ? 15 : 60),
      relays: values.relays === "2" ? 2 : 1,
    },
  };
}
