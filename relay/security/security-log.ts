// What the startup log says about the relay's security, loudly when it is reachable from a network
// without join tokens (anyone could join any room) or without TLS (tokens and frames in the clear).

import { log } from "../log.ts";
import { isLoopbackAddress } from "./connect-limit.ts";
import type { SecurityConfig } from "./security-config.ts";

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || isLoopbackAddress(host);
}

export function logSecurityPosture(host: string, security: SecurityConfig): void {
  const exposed = !isLoopbackHost(host);
  const tls = security.tlsCertPath !== null;
  if (security.authSecret === null) {
    const message =
      "join tokens are off: anyone who can reach this relay can join any room and send frames";
    if (exposed) {
      log("warn", "auth_off", {
        message: `OPEN RELAY on ${host}: ${message}. Set --auth-secret (RELAY_AUTH_SECRET).`,
      });
    } else {
      log("notice", "auth_off", { message: `${message} (bound to loopback only)` });
    }
  }
  if (exposed && !tls) {
    log("warn", "tls_off", {
      message: `no TLS on ${host}: frames${security.authSecret ? " and join tokens" : ""} cross the network in the clear; set --tls-cert and --tls-key or put a TLS proxy in front`,
    });
  }
}
