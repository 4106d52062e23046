// Helpers for the security tests: join tokens, raw upgrade requests, and WebSocket participants
// that can send headers and trust a test CA (what the TestPeer in peer.ts can't do).
import {
  type ControlMessage,
  isControlText,
  parseControl,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import { mintJoinToken, secretKey } from "../../relay/tokens.ts";

export const SECRET = "test-secret-0123456789abcdef-0123456789abcdef";

export function token(
  room: string,
  name: string,
  options: { canPublish?: boolean; ttlSeconds?: number; secret?: string; nowMs?: number } = {},
): Promise<string> {
  return mintJoinToken(
    secretKey(options.secret ?? SECRET),
    { room, name, ttlSeconds: options.ttlSeconds ?? 600, canPublish: options.canPublish ?? true },
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

const BunWebSocket = WebSocket as unknown as new (
  url: string,
  init: Bun.WebSocketOptions,
) => WebSocket;

/** A participant with Bun's WebSocket options (headers, tls); records what it receives. */
export class OptionsPeer {
  readonly binary: Uint8Array[] = [];
  readonly controls: ControlMessage[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") this.binary.push(new Uint8Array(event.data));
      else if (isControlText(event.data)) {
        const control = parseControl(event.data);
        if (control) this.controls.push(control);
      }
    };
    ws.onclose = (event) => {
      this.closed = { code: event.code, reason: event.reason };
    };
  }

  static open(url: string, init: Bun.WebSocketOptions = {}, timeoutMs = 5000) {
    return new Promise<OptionsPeer>((resolve, reject) => {
      const ws = new BunWebSocket(url, init);
      const peer = new OptionsPeer(ws);
      const timer = setTimeout(() => reject(new Error(`connect timeout: ${url}`)), timeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve(peer);
      };
      ws.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`connect failed: ${url}`));
      };
    });
  }

  static async join(url: string, init: Bun.WebSocketOptions = {}) {
    const peer = await OptionsPeer.open(url, init);
    const welcome = (await peer.until(
      () => peer.controls.find((c) => c.type === "welcome"),
      "welcome",
    )) as WelcomeMessage;
    return Object.assign(peer, { welcome });
  }

  /** Polls `probe` until it returns something truthy; rejects after `timeoutMs`. */
  async until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  }

  close(): void {
    this.ws.close(1000);
  }
}

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
