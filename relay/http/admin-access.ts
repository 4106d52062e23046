// Who may read /metrics and /v1/rooms, which name rooms and participants: anyone holding the
// admin token when one is set, else loopback callers only or everyone (--admin-access).
import { createHash, timingSafeEqual } from "node:crypto";
import { isLoopbackAddress } from "../security/connect-limit.ts";
import type { SecurityConfig } from "../security/security-config.ts";

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Null when the caller may proceed, else the refusal to send. */
export type AdminCheck = (request: Request, address: string | undefined) => Response | null;

export function createAdminCheck(security: SecurityConfig): AdminCheck {
  // Comparing fixed-size digests in constant time leaks neither the token nor its length.
  const expected = security.adminToken === null ? null : digest(security.adminToken);
  const refuse = (status: number, message: string) =>
    new Response(`${message}\n`, {
      status,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        ...(status === 401 ? { "www-authenticate": 'Bearer realm="framecast-admin"' } : {}),
      },
    });
  return (request, address) => {
    if (expected !== null) {
      const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
      if (bearer !== undefined && timingSafeEqual(digest(bearer), expected)) return null;
      return refuse(401, "admin token required");
    }
    if (security.adminAccess === "open") return null;
    if (address !== undefined && isLoopbackAddress(address)) return null;
    return refuse(403, "only served to loopback callers (or set --admin-token)");
  };
}
