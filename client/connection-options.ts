// How the client authenticates to the relay and trusts its certificate: the join token goes in an
// Authorization header (kept out of URLs, and so out of logs), and --ca adds a CA for wss://.
import { readFileSync } from "node:fs";
import type { ClientOptions } from "./options.ts";

export function connectionOptions(
  options: Pick<ClientOptions, "token" | "ca">,
): Bun.WebSocketOptions {
  const init: Bun.WebSocketOptions = {};
  if (options.token) init.headers = { authorization: `Bearer ${options.token}` };
  if (options.ca) init.tls = { ca: readFileSync(options.ca, "utf8") };
  return init;
}

/** Bun's WebSocket takes headers and TLS options; the DOM typings, loaded too, don't know that. */
const BunWebSocket = WebSocket as unknown as new (
  url: string,
  init: Bun.WebSocketOptions,
) => WebSocket;

export function openWebSocket(url: string, init: Bun.WebSocketOptions): WebSocket {
  return new BunWebSocket(url, init);
}
