// TLS through Bun's own server: the same port then serves https:// and wss://.
import type { SecurityConfig } from "./security-config.ts";

export interface RelayTls {
  cert: ReturnType<typeof Bun.file>;
  key: ReturnType<typeof Bun.file>;
}

/** Bun.serve's `tls` option, or undefined for plain http/ws. */
export function tlsOptions(security: SecurityConfig): RelayTls | undefined {
  if (security.tlsCertPath === null || security.tlsKeyPath === null) return undefined;
  return { cert: Bun.file(security.tlsCertPath), key: Bun.file(security.tlsKeyPath) };
}
