// Helpers for the security tests: join tokens, raw upgrade requests, and WebSocket participants
// that send headers and trust a test CA.
import { mintJoinToken, secretKey } from "../../relay/security/tokens.ts";
import { TestPeer } from "./peer.ts";

export const SECRET = "test-secret-0123456789abcdef-0123456789abcdef";

export function token(
  room: string,
  name: string,
  options: {
    canPublish?: boolean;
    canModerate?: boolean;
    ttlSeconds?: number;
    secret?: string;
    nowMs?: number;
  } = {},
): Promise<string> {
  return mintJoinToken(
    secretKey(options.secret ?? SECRET),
    {
      room,
      name,
      ttlSeconds: options.ttlSeconds ?? 600,
      canPublish: options.canPublish ?? true,
      canModerate: options.canModerate ?? false,
    },
    options.nowMs,
  );
}

/** An upgrade request by fetch: the status and body tell why the relay refused it. */
export async function tryUpgrade(
  url: string,
  headers: Record<string, string> = {},
  init: { tls?: { ca: string } } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(url, {
    headers: {
      upgrade: "websocket",
      connection: "upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      ...headers,
    },
    ...init,
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** Participants that send headers or trust a test CA: TestPeer with Bun's WebSocket options. */
export type OptionsPeer = TestPeer;
export const OptionsPeer = {
  open: (url: string, init: Bun.WebSocketOptions = {}, timeoutMs = 5000) =>
    TestPeer.connect(url, timeoutMs, init),
  join: (url: string, init: Bun.WebSocketOptions = {}) => TestPeer.joinWith(url, init),
};

/** One line of /metrics, e.g. metric(url, "framecast_rejected_messages_total", '{reason="x"}'). */
export async function metric(
  httpUrl: string,
  name: string,
  labels = "",
  init: RequestInit & { tls?: { ca: string } } = {},
): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`, init)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ")[1]) : 0;
}
