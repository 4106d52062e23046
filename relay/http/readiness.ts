// GET /readyz: 200 only while the relay takes joins (it answers, so it listens; in a cluster its
// Redis link must be up); 503 with the reason otherwise. /healthz stays plain liveness.
import { Elysia } from "elysia";
import { clusterStats } from "../cluster/cluster-metrics.ts";

export interface Readiness {
  clustered: boolean;
  /** Set once shutdown begins: a load balancer should stop sending joins. */
  stopping: boolean;
}

export function readinessRoute(state: Readiness) {
  const answer = (status: number, body: string) =>
    new Response(`${body}\n`, {
      status,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  return new Elysia({ name: "readiness" }).get("/readyz", () => {
    if (state.stopping) return answer(503, "shutting down");
    if (state.clustered && clusterStats.linkUp !== 1) return answer(503, "redis link down");
    return answer(200, "ready");
  });
}
