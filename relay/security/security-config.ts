// Security flags of the relay (join tokens, TLS, rate limits, origins, admin endpoints): their
// table, for parsing and --help, and their validation. config.ts merges them into RelayConfig.
import { existsSync, statSync } from "node:fs";
import { normalizeOrigin } from "./origin.ts";
import { MIN_SECRET_LENGTH } from "./tokens.ts";

export interface SecurityConfig {
  /** HS256 secret for join tokens; null: the relay is open to anyone who can reach it. */
  authSecret: string | null;
  /** Bearer token for /metrics and /v1/rooms; null: see adminAccess. */
  adminToken: string | null;
  /** Without an admin token: who may read /metrics and /v1/rooms. */
  adminAccess: "open" | "loopback";
  /** Origins (scheme://host[:port]) browsers may connect from; empty: no check. */
  allowedOrigins: string[];
  tlsCertPath: string | null;
  tlsKeyPath: string | null;
  /** --tls self-signed: main.ts makes or reuses a certificate (self-signed.ts) and fills the paths. */
  tlsSelfSigned: boolean;
  /** Per-connection token buckets; 0 turns a limit off. */
  maxFramesPerSecond: number;
  /** Audio packets per second per sender, on their own budget (issue 12). */
  maxAudioPerSecond: number;
  maxBytesPerSecond: number;
  maxControlPerSecond: number;
  /** WebSocket upgrade attempts per client address per minute; 0 turns the limit off. */
  maxConnectsPerMinute: number;
  /** Addresses the connect limit skips ("loopback" covers 127.0.0.0/8 and ::1). */
  connectLimitExempt: string[];
  /** Seconds an HTTP connection may sit idle (Bun closes unfinished requests after ~10 s anyway). */
  httpIdleTimeoutSeconds: number;
}

export interface SecurityOptionSpec {
  flag: string;
  env: string;
  default: string;
  help: string;
}

export const SECURITY_OPTIONS = {
  authSecret: {
    flag: "auth-secret",
    env: "RELAY_AUTH_SECRET",
    default: "(none: open relay)",
    help: `HS256 secret (at least ${MIN_SECRET_LENGTH} characters) that turns on signed join tokens`,
  },
  adminToken: {
    flag: "admin-token",
    env: "RELAY_ADMIN_TOKEN",
    default: "(none)",
    help: "bearer token /metrics and /v1/rooms then require (Authorization: Bearer TOKEN)",
  },
  adminAccess: {
    flag: "admin-access",
    env: "RELAY_ADMIN_ACCESS",
    default: "loopback with --auth-secret, else open",
    help: "without --admin-token: open, or loopback (only 127.0.0.0/8 and ::1 may read them)",
  },
  allowedOrigins: {
    flag: "allowed-origins",
    env: "RELAY_ALLOWED_ORIGINS",
    default: "(any)",
    help: "comma-separated origins browsers may connect from, e.g. https://meet.example.org",
  },
  tlsCertPath: {
    flag: "tls-cert",
    env: "RELAY_TLS_CERT",
    default: "(none)",
    help: "PEM certificate (chain): serve https:// and wss:// (needs --tls-key)",
  },
  tlsKeyPath: {
    flag: "tls-key",
    env: "RELAY_TLS_KEY",
    default: "(none)",
    help: "PEM private key for --tls-cert",
  },
  tlsSelfSigned: {
    flag: "tls",
    env: "RELAY_TLS",
    default: "(off)",
    help: "self-signed: serve https:// and wss:// on a certificate for this machine's addresses, made once and kept in ~/.local/share/framecast/tls/ (FRAMECAST_DATA_DIR)",
  },
  maxFramesPerSecond: {
    flag: "max-fps",
    env: "RELAY_MAX_FPS",
    default: "120",
    help: "video frames per second per sender (2 s burst); excess is dropped; 0: no limit",
  },
  maxAudioPerSecond: {
    flag: "max-audio-pps",
    env: "RELAY_MAX_AUDIO_PPS",
    default: "75",
    help: "audio packets per second per sender (one 20 ms Opus stream is 50; 2 s burst); excess is dropped; 0: no limit",
  },
  maxBytesPerSecond: {
    flag: "max-bytes-per-second",
    env: "RELAY_MAX_BYTES_PER_SECOND",
    default: "8MiB",
    help: "bytes per second per connection (2 s burst); excess is dropped; 0: no limit",
  },
  maxControlPerSecond: {
    flag: "max-control-per-second",
    env: "RELAY_MAX_CONTROL_PER_SECOND",
    default: "600",
    help: "JSON and malformed messages per second per connection (a flood closes with 4029); acks have their own budget, (--max-peers - 1) x --max-fps per second",
  },
  maxConnectsPerMinute: {
    flag: "max-connects-per-minute",
    env: "RELAY_MAX_CONNECTS_PER_MINUTE",
    default: "120",
    help: "WebSocket connection attempts per client address per minute (429 beyond); 0: no limit",
  },
  connectLimitExempt: {
    flag: "connect-limit-exempt",
    env: "RELAY_CONNECT_LIMIT_EXEMPT",
    default: "loopback",
    help: "comma-separated addresses the connect limit skips: loopback, IPs, or none",
  },
  httpIdleTimeoutSeconds: {
    flag: "http-idle-timeout",
    env: "RELAY_HTTP_IDLE_TIMEOUT",
    default: "10",
    help: "seconds an HTTP connection may stay idle before the relay closes it",
  },
} satisfies Record<keyof SecurityConfig, SecurityOptionSpec>;

/** Helpers config.ts hands over, so both parse sizes and integers the same way. */
export interface SecurityParseTools {
  /** The flag's value, else its environment variable, else undefined. */
  read(key: keyof SecurityConfig): string | undefined;
  integer(text: string, what: string, min: number, max: number): number;
  bytes(text: string, what: string): number;
  fail(message: string): never;
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function readableFile(path: string | undefined, flag: string, tools: SecurityParseTools) {
  if (path === undefined || path === "") return null;
  if (!existsSync(path) || !statSync(path).isFile()) tools.fail(`--${flag}: no such file ${path}`);
  return path;
}

export function parseSecurityConfig(tools: SecurityParseTools): SecurityConfig {
  const { read, integer } = tools;
  const authSecret = read("authSecret") || null;
  if (authSecret !== null && authSecret.length < MIN_SECRET_LENGTH) {
    // A short HMAC secret can be brute-forced offline from a single token.
    tools.fail(
      `--auth-secret: use at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`,
    );
  }
  const adminToken = read("adminToken") || null;
  if (adminToken !== null && adminToken.length < 16)
    tools.fail("--admin-token: use at least 16 characters");
  const adminAccess = read("adminAccess") ?? (authSecret ? "loopback" : "open");
  if (adminAccess !== "open" && adminAccess !== "loopback") {
    tools.fail(`--admin-access: expected open or loopback, got "${adminAccess}"`);
  }
  const allowedOrigins = list(read("allowedOrigins")).map((origin) => {
    const normalized = normalizeOrigin(origin);
    if (normalized === null)
      tools.fail(`--allowed-origins: "${origin}" is not an origin like https://host`);
    return normalized;
  });
  const tlsCertPath = readableFile(read("tlsCertPath"), "tls-cert", tools);
  const tlsKeyPath = readableFile(read("tlsKeyPath"), "tls-key", tools);
  if ((tlsCertPath === null) !== (tlsKeyPath === null))
    tools.fail("--tls-cert and --tls-key go together");
  const tlsMode = read("tlsSelfSigned") || null;
  if (tlsMode !== null && tlsMode !== "self-signed")
    tools.fail(
      `--tls: expected self-signed, got "${tlsMode}" (for your own certificate: --tls-cert and --tls-key)`,
    );
  if (tlsMode !== null && tlsCertPath !== null)
    tools.fail("--tls self-signed and --tls-cert: pick one");
  const exempt = list(read("connectLimitExempt") ?? SECURITY_OPTIONS.connectLimitExempt.default);
  const rate = (key: keyof SecurityConfig, max: number) => {
    const spec = SECURITY_OPTIONS[key];
    return integer(read(key) ?? spec.default, `--${spec.flag}`, 0, max);
  };
  return {
    authSecret,
    adminToken,
    adminAccess,
    allowedOrigins,
    tlsCertPath,
    tlsKeyPath,
    tlsSelfSigned: tlsMode !== null,
    maxFramesPerSecond: rate("maxFramesPerSecond", 100_000),
    maxAudioPerSecond: rate("maxAudioPerSecond", 100_000),
    maxBytesPerSecond: tools.bytes(
      read("maxBytesPerSecond") ?? SECURITY_OPTIONS.maxBytesPerSecond.default,
      "--max-bytes-per-second",
    ),
    maxControlPerSecond: rate("maxControlPerSecond", 1_000_000),
    maxConnectsPerMinute: rate("maxConnectsPerMinute", 1_000_000),
    connectLimitExempt: exempt.includes("none") ? [] : exempt,
    httpIdleTimeoutSeconds: integer(
      read("httpIdleTimeoutSeconds") ?? SECURITY_OPTIONS.httpIdleTimeoutSeconds.default,
      "--http-idle-timeout",
      1,
      255,
    ),
  };
}
