// Settings for running behind a reverse proxy and for webhooks: their flag table (merged into
// --help and --config by config.ts) and their validation.
import { isIP } from "node:net";

export interface DeployConfig {
  /** Proxy addresses whose X-Forwarded-For the relay believes ("loopback" for 127/8 and ::1); empty: none. */
  trustProxy: string[];
  /** URLs that get every event as a signed JSON POST (relay/webhooks/). */
  webhooks: string[];
  /** HMAC-SHA256 key for the X-Framecast-Signature header; null: unsigned. */
  webhookSecret: string | null;
  /** Events queued per webhook URL before new ones are dropped (and counted). */
  webhookQueue: number;
}

export const DEPLOY_OPTIONS = {
  trustProxy: {
    flag: "trust-proxy",
    env: "RELAY_TRUST_PROXY",
    default: "(none)",
    help: "comma-separated proxy addresses (or loopback) whose X-Forwarded-For names the client for limits and logs",
  },
  webhooks: {
    flag: "webhook",
    env: "RELAY_WEBHOOK",
    default: "(none)",
    help: "URL that gets room and participant events as signed JSON POSTs (repeatable; env: comma-separated)",
  },
  webhookSecret: {
    flag: "webhook-secret",
    env: "RELAY_WEBHOOK_SECRET",
    default: "(none: unsigned)",
    help: "HMAC-SHA256 key: each POST carries X-Framecast-Signature: t=SECONDS,v1=HEX of `SECONDS.BODY`",
  },
  webhookQueue: {
    flag: "webhook-queue",
    env: "RELAY_WEBHOOK_QUEUE",
    default: "10000",
    help: "events waiting per webhook URL before new ones are dropped (counted in /metrics)",
  },
} satisfies Record<
  keyof DeployConfig,
  { flag: string; env: string; default: string; help: string }
>;

export interface DeployParseTools {
  read(key: keyof DeployConfig): string | undefined;
  integer(text: string, what: string, min: number, max: number): number;
  fail(message: string): never;
}

function list(text: string | undefined, separator: RegExp): string[] {
  return (text ?? "")
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function parseDeployConfig(tools: DeployParseTools): DeployConfig {
  const trustProxy = list(tools.read("trustProxy"), /,/);
  for (const address of trustProxy) {
    if (address !== "loopback" && isIP(address) === 0) {
      tools.fail(`--trust-proxy: "${address}" is not an IP address or loopback`);
    }
  }
  // Repeated flags arrive joined by newlines; the environment variable takes commas.
  const webhooks = list(tools.read("webhooks"), /[\n,]/);
  for (const url of webhooks) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
    if (parsed === null || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      tools.fail(`--webhook: "${url}" is not an http(s):// URL`);
    }
  }
  const webhookSecret = tools.read("webhookSecret") || null;
  if (webhookSecret !== null && webhookSecret.length < 16) {
    tools.fail("--webhook-secret: use at least 16 characters (e.g. openssl rand -hex 32)");
  }
  return {
    trustProxy,
    webhooks,
    webhookSecret,
    webhookQueue: tools.integer(
      tools.read("webhookQueue") ?? DEPLOY_OPTIONS.webhookQueue.default,
      "--webhook-queue",
      1,
      1_000_000,
    ),
  };
}
