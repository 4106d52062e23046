// Webhook figures for /metrics, read only when scraped.
import { Counter, Gauge, type Registry } from "prom-client";

export const webhookStats = { sent: 0, dropped: 0, failedAttempts: 0, queued: 0 };

export function registerWebhookMetrics(registry: Registry): void {
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter(
    "framecast_webhook_events_sent_total",
    "Webhook events a receiver accepted",
    () => webhookStats.sent,
  );
  counter(
    "framecast_webhook_events_dropped_total",
    "Webhook events dropped: queue full, or retries used up",
    () => webhookStats.dropped,
  );
  counter(
    "framecast_webhook_attempts_failed_total",
    "Webhook POSTs that failed or timed out (each is retried with backoff)",
    () => webhookStats.failedAttempts,
  );
  new Gauge({
    name: "framecast_webhook_queue_events",
    help: "Webhook events waiting, all URLs",
    registers: [registry],
    collect() {
      this.set(webhookStats.queued);
    },
  });
}
