// Chat and moderation counters for /metrics: plain numbers bumped by room-moderation.ts, read at
// scrape time (as relay/security/security-metrics.ts does).
import { Counter, type Registry } from "prom-client";
import { totalCounter } from "../metrics.ts";

export const moderationStats = {
  /** Chat messages relayed (stamped here or from another relay). */
  chatMessages: 0,
  /** Moderators' actions carried out here, by action (mute, stop, remove, lock...). */
  actions: new Map<string, number>(),
};

export function countAction(action: string): void {
  moderationStats.actions.set(action, (moderationStats.actions.get(action) ?? 0) + 1);
}

export function registerModerationMetrics(registry: Registry): void {
  totalCounter(
    registry,
    "framecast_chat_messages_total",
    "Chat messages relayed to a room (history replays not counted)",
    () => moderationStats.chatMessages,
  );
  new Counter({
    name: "framecast_moderation_actions_total",
    help: "Moderators' and the admin API's actions carried out by this relay, by action",
    labelNames: ["action"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [action, count] of moderationStats.actions) this.inc({ action }, count);
    },
  });
}
