// Starts webhook delivery: every relay event becomes a payload with an id and a per-relay
// sequence number, pushed onto each URL's queue.
import { randomUUID } from "node:crypto";
import type { DeployConfig } from "../deploy-config.ts";
import { relayEvents } from "./events.ts";
import { WebhookQueue } from "./webhook-queue.ts";

export interface RunningWebhooks {
  stop(): void;
  /** Payloads waiting in every queue (GET /debug/counts). */
  queued(): number;
}

export function startWebhooks(config: DeployConfig): RunningWebhooks {
  if (config.webhooks.length === 0) return { stop() {}, queued: () => 0 };
  const queues = config.webhooks.map(
    (url) => new WebhookQueue(url, config.webhookSecret, config.webhookQueue),
  );
  let seq = 0;
  relayEvents.listen((event) => {
    const payload = { ...event, eventId: randomUUID(), time: new Date().toISOString(), seq: ++seq };
    for (const queue of queues) queue.push(payload);
  });
  return {
    stop() {
      relayEvents.listen(null);
      for (const queue of queues) queue.stop();
    },
    queued: () => queues.reduce((sum, queue) => sum + queue.length, 0),
  };
}
