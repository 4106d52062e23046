// --print-config: the merged settings as JSON, secrets replaced, so an admin can check what the
// relay would run with (flags > environment > --config file > defaults) without leaking keys.
import type { RelayConfig } from "./config.ts";

const REDACTED = "(redacted)";

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = REDACTED;
    return parsed.toString();
  } catch {
    return url;
  }
}

export function printableConfig(config: RelayConfig): object {
  const hide = (value: string | null) => (value === null ? null : REDACTED);
  return {
    ...config,
    redisUrl: config.redisUrl === null ? null : redactUrl(config.redisUrl),
    security: {
      ...config.security,
      authSecret: hide(config.security.authSecret),
      adminToken: hide(config.security.adminToken),
    },
    deploy: {
      ...config.deploy,
      // A webhook URL may carry its own credentials in the query string or user part.
      webhooks: config.deploy.webhooks.map((url) => redactUrl(url).replace(/\?.*$/, "?(redacted)")),
      webhookSecret: hide(config.deploy.webhookSecret),
    },
  };
}
