// Why did a WebSocket connect fail? Bun's WebSocket client hides the HTTP status of a refused
// upgrade, so after a failed connect we repeat the upgrade request with fetch (same headers,
// same TLS options) and read the relay's answer: 401/403 with a plain reason, 429, 400... The
// probe carries no Sec-WebSocket-Key, so a relay that would now accept us answers "upgrade failed"
// instead of letting a phantom participant join.

import { type Refusal, refusal } from "../client-core/refusals.ts";
import { REFUSAL_PROBE_HEADER } from "../protocol/index.ts";

export type { Refusal };

/** The relay's refusal, or null when the relay can't be reached at all or would accept us. */
export async function probeRefusal(
  url: string,
  init: Bun.WebSocketOptions,
): Promise<Refusal | null> {
  const httpUrl = url.replace(/^ws/, "http");
  try {
    const response = await fetch(httpUrl, {
      headers: {
        upgrade: "websocket",
        connection: "upgrade",
        "sec-websocket-version": "13",
        [REFUSAL_PROBE_HEADER]: "1",
        ...(init.headers as Record<string, string> | undefined),
      },
      ...(init.tls ? { tls: init.tls } : {}),
      signal: AbortSignal.timeout(3000),
    });
    const reason = (await response.text()).trim();
    // Past every check: the relay would take us now, so whatever failed has passed.
    if (response.status < 400 || reason.startsWith("WebSocket upgrade failed")) return null;
    return refusal(response.status, reason);
  } catch {
    return null;
  }
}
