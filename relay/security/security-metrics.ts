// Security counters that are not per-message rejections (those go to
// framecast_rejected_messages_total, refused upgrades to framecast_refused_joins_total).
import { Counter, type Registry } from "prom-client";

export const securityStats = {
  /** Sockets closed with 4029 after repeated abuse of the rate limits. */
  rateLimitCloses: 0,
};

export function registerSecurityMetrics(registry: Registry): void {
  new Counter({
    name: "framecast_rate_limit_closes_total",
    help: "Connections closed (code 4029) for staying far over their rate limits",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(securityStats.rateLimitCloses);
    },
  });
}
