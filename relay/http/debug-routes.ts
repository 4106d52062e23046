// GET /debug/counts: the sizes of the relay's maps and sets, its timers and metric series, and
// the process's RSS, JS heap and open fds (relay/debug/relay-counts.ts). Admin-only, like
// /metrics. `?types=1` adds the most numerous JS object types. `?gc=1` first runs a full garbage collection, which only a relay started with
// FRAMECAST_DEBUG_GC=1 does (tests and the soak bench): elsewhere a caller can't make it pause.
import { Elysia } from "elysia";
import {
  type CountedParts,
  objectTypes,
  processUsage,
  relayCounts,
} from "../debug/relay-counts.ts";
import type { AdminCheck } from "./admin-access.ts";
import { clientAddress } from "./client-address.ts";

export const DEBUG_GC_ENV = "FRAMECAST_DEBUG_GC";

export function debugRoutes(
  parts: CountedParts,
  adminCheck: AdminCheck,
  trustProxy: readonly string[],
) {
  const gcAllowed = process.env[DEBUG_GC_ENV] === "1";
  return new Elysia().get("/debug/counts", async ({ request, server }) => {
    const address = clientAddress(request, server?.requestIP(request)?.address, trustProxy);
    const denied = adminCheck(request, address);
    if (denied) return denied;
    const gc = new URL(request.url).searchParams.get("gc") === "1";
    if (gc && !gcAllowed) {
      return new Response(`gc=1 needs the relay started with ${DEBUG_GC_ENV}=1\n`, { status: 403 });
    }
    if (gc) Bun.gc(true);
    const types = new URL(request.url).searchParams.get("types") === "1";
    const body = {
      counts: await relayCounts(parts),
      process: processUsage(),
      gc,
      ...(types ? { objectTypes: objectTypes() } : {}),
    };
    return new Response(JSON.stringify(body), {
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  });
}
