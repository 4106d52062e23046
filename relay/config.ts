// Relay settings from command-line flags, falling back to RELAY_* environment variables.
import { parseArgs } from "node:util";
import { flagErrorText } from "../cli/flag-errors.ts";
import { DEFAULT_PORT } from "../protocol/index.ts";
import { redisUrlProblem } from "./cluster/cluster-config.ts";
import { ConfigError } from "./config-error.ts";
import { readConfigFile } from "./config-file.ts";
import { DEPLOY_OPTIONS, type DeployConfig, parseDeployConfig } from "./deploy-config.ts";
import type { LogLevel } from "./log.ts";
import {
  parseSecurityConfig,
  SECURITY_OPTIONS,
  type SecurityConfig,
} from "./security/security-config.ts";

export interface RelayConfig {
  port: number;
  host: string;
  maxFrameBytes: number;
  maxPeersPerRoom: number;
  maxRooms: number;
  idleTimeoutSeconds: number;
  backpressureLimitBytes: number;
  /** Frames per sender in flight to an acking receiver before the relay waits for its ack. */
  ackWindow: number;
  logLevel: LogLevel;
  /** Redis URL of a cluster of relays (relay/cluster/), or null for a lone relay. */
  redisUrl: string | null;
  /** Join tokens, TLS, rate limits, origins, admin endpoints (security-config.ts). */
  security: SecurityConfig;
  /** Reverse proxy and webhooks (deploy-config.ts). */
  deploy: DeployConfig;
  /** SO_REUSEPORT: only with --reuse-port; otherwise a second relay on a busy port is refused. */
  reusePort: boolean;
}

interface OptionSpec {
  flag: string;
  env: string;
  default: string;
  help: string;
}

const OPTIONS = {
  port: {
    flag: "port",
    env: "RELAY_PORT",
    default: String(DEFAULT_PORT),
    help: "TCP port (0 picks a free one)",
  },
  host: { flag: "host", env: "RELAY_HOST", default: "0.0.0.0", help: "address to bind" },
  maxFrameBytes: {
    flag: "max-frame-bytes",
    env: "RELAY_MAX_FRAME_BYTES",
    default: "2MiB",
    help: "largest JPEG accepted per frame; bigger frames are dropped with an error",
  },
  maxPeersPerRoom: {
    flag: "max-peers",
    env: "RELAY_MAX_PEERS",
    default: "50",
    help: "participants per room; the next one is refused with close code 4001",
  },
  maxRooms: {
    flag: "max-rooms",
    env: "RELAY_MAX_ROOMS",
    default: "1000",
    help: "rooms at once; a join that would open one more gets close code 4002",
  },
  idleTimeoutSeconds: {
    flag: "idle-timeout",
    env: "RELAY_IDLE_TIMEOUT",
    default: "60",
    help: "seconds with no traffic (pongs count) before a connection is dropped; pings go out automatically",
  },
  backpressureLimitBytes: {
    flag: "backpressure-limit",
    env: "RELAY_BACKPRESSURE_LIMIT",
    default: "256KiB",
    help: "bytes queued for one receiver before its frames are dropped (and counted)",
  },
  ackWindow: {
    flag: "ack-window",
    env: "RELAY_ACK_WINDOW",
    default: "2",
    help: "frames per sender in flight to a receiver that acks (?ack=1) before the relay waits for its ack, 1-64",
  },
  redisUrl: {
    flag: "redis",
    env: "REDIS_URL",
    default: "",
    help: "redis://HOST:6379 joins a cluster of relays sharing rooms through Redis",
  },
  logLevel: {
    flag: "log-level",
    env: "RELAY_LOG_LEVEL",
    default: "info",
    help: "debug, info, warn, error or silent",
  },
} satisfies Record<Exclude<keyof RelayConfig, "security" | "deploy" | "reusePort">, OptionSpec>;

export { ConfigError };

/** `--print-config`: main.ts prints the merged settings instead of starting. */
export function wantsPrintConfig(argv: string[]): boolean {
  return argv.includes("--print-config");
}

const ALL_OPTIONS = [
  ...Object.values(OPTIONS),
  ...Object.values(SECURITY_OPTIONS),
  ...Object.values(DEPLOY_OPTIONS),
];
/** Keys a --config file may hold: every flag's name. */
const FILE_KEYS = new Set(ALL_OPTIONS.map((o) => o.flag));
const REPEATABLE = new Set([DEPLOY_OPTIONS.webhooks.flag]);

export function relayHelp(): string {
  const rows = ALL_OPTIONS.map(
    (o) =>
      `  --${o.flag.padEnd(20)} ${o.help}\n  ${"".padEnd(22)} env ${o.env}, default ${o.default || "(none: a lone relay)"}`,
  );
  return [
    "Usage: npm run relay -- [options]          (with Bun installed: bun run relay [options])",
    "       npm run relay -- token --room ROOM --name NAME [--ttl 1h] [--view-only]  (see token --help)",
    "",
    "framecast relay: rooms of WebSocket participants; every JPEG frame goes to everyone else.",
    "New clients connect to ws://HOST:PORT/v1/rooms/ROOM?name=NAME; old base64-text clients to ws://HOST:PORT/.",
    "",
    "Options:",
    ...rows,
    "  --config FILE          TOML file with any of the above as keys (flags and env win over it)",
    "  --print-config         print the merged settings (secrets redacted) and exit",
    `  --reuse-port           let several processes share the port (SO_REUSEPORT); without it a busy port\n  ${"".padEnd(22)} is refused ("port 8765 is already in use"), env RELAY_REUSE_PORT=1`,
    "  --help                 show this help",
    "  --version              print the version",
    "",
    "HTTP: GET /healthz, GET /readyz, GET /metrics (Prometheus), GET /v1/rooms (rooms with peer counts).",
  ].join("\n");
}

const SIZE_PATTERN = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
};

/** "2MiB", "256k", "65536" → bytes. */
export function parseBytes(text: string, what: string): number {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match?.[1])
    throw new ConfigError(
      `${what}: expected a byte size like 65536, 256KiB or 2MiB, got "${text}"`,
    );
  const unit = SIZE_UNITS[(match[2] ?? "b").toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}

function parseRedisUrl(text: string): string | null {
  if (text === "") return null;
  const problem = redisUrlProblem(text);
  if (problem) throw new ConfigError(problem);
  return text;
}

function parseInteger(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${what}: expected an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** Parses argv (without the runtime and script) and env into a config; throws ConfigError on bad input. */
export function parseRelayConfig(
  argv: string[],
  env: Record<string, string | undefined>,
): RelayConfig | "help" | "version" {
  const parsed = (() => {
    try {
      return parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          help: { type: "boolean", short: "h" },
          version: { type: "boolean" },
          "print-config": { type: "boolean" },
          config: { type: "string" },
          "reuse-port": { type: "boolean" },
          ...Object.fromEntries(
            ALL_OPTIONS.map((o) => [
              o.flag,
              { type: "string" as const, multiple: REPEATABLE.has(o.flag) },
            ]),
          ),
        },
      });
    } catch (error) {
      throw new ConfigError(flagErrorText(error));
    }
  })();
  if (parsed.values.help) return "help";
  if (parsed.values.version) return "version";
  const configPath = parsed.values.config ?? env.RELAY_CONFIG;
  const file = configPath ? readConfigFile(configPath, FILE_KEYS, REPEATABLE) : {};
  // Flag, then environment, then file, then default (the caller's).
  const lookup = (spec: { flag: string; env: string }): string | undefined => {
    const fromFlag = (parsed.values as Record<string, unknown>)[spec.flag];
    if (typeof fromFlag === "string") return fromFlag;
    if (Array.isArray(fromFlag)) return fromFlag.join("\n");
    return env[spec.env] ?? file[spec.flag];
  };
  try {
    // --print-config is read by main.ts (wantsPrintConfig): parsing only accepts it.
    const reusePort = parsed.values["reuse-port"] === true || env.RELAY_REUSE_PORT === "1";
    return buildConfig(lookup, reusePort);
  } catch (error) {
    // A bad value that came from the file names the file's key, not a flag nobody typed.
    const flag = error instanceof ConfigError ? /^--([a-z-]+):/.exec(error.message)?.[1] : null;
    const spec = flag ? ALL_OPTIONS.find((o) => o.flag === flag) : undefined;
    const fromFile =
      spec &&
      file[spec.flag] !== undefined &&
      (parsed.values as Record<string, unknown>)[spec.flag] === undefined &&
      env[spec.env] === undefined;
    if (fromFile && error instanceof ConfigError) {
      throw new ConfigError(`config key ${error.message.slice(2)} (in ${configPath})`);
    }
    throw error;
  }
}

function buildConfig(
  lookup: (spec: { flag: string; env: string }) => string | undefined,
  reusePort: boolean,
): RelayConfig {
  const pick = (key: keyof typeof OPTIONS): string => {
    const spec = OPTIONS[key];
    return lookup(spec) ?? spec.default;
  };
  const logLevel = pick("logLevel");
  if (!["debug", "info", "warn", "error", "silent"].includes(logLevel)) {
    throw new ConfigError(
      `--log-level: expected debug, info, warn, error or silent, got "${logLevel}"`,
    );
  }
  const maxFrameBytes = parseBytes(pick("maxFrameBytes"), "--max-frame-bytes");
  if (maxFrameBytes < 1024 || maxFrameBytes > 64 << 20) {
    throw new ConfigError("--max-frame-bytes: must be between 1KiB and 64MiB");
  }
  return {
    port: parseInteger(pick("port"), "--port", 0, 65535),
    host: pick("host"),
    maxFrameBytes,
    maxPeersPerRoom: parseInteger(pick("maxPeersPerRoom"), "--max-peers", 1, 100_000),
    maxRooms: parseInteger(pick("maxRooms"), "--max-rooms", 1, 1_000_000),
    // Bun caps WebSocket idle timeouts at 960 s.
    idleTimeoutSeconds: parseInteger(pick("idleTimeoutSeconds"), "--idle-timeout", 1, 960),
    backpressureLimitBytes: parseBytes(pick("backpressureLimitBytes"), "--backpressure-limit"),
    ackWindow: parseInteger(pick("ackWindow"), "--ack-window", 1, 64),
    logLevel: logLevel as LogLevel,
    redisUrl: parseRedisUrl(pick("redisUrl")),
    deploy: parseDeployConfig({
      read: (key) => lookup(DEPLOY_OPTIONS[key]),
      integer: parseInteger,
      fail: (message) => {
        throw new ConfigError(message);
      },
    }),
    reusePort,
    security: parseSecurityConfig({
      read: (key) => lookup(SECURITY_OPTIONS[key]),
      integer: parseInteger,
      bytes: parseBytes,
      fail: (message) => {
        throw new ConfigError(message);
      },
    }),
  };
}
