// The events webhooks carry, and the one place the relay reports them (relayEvents.emit): a no-op
// until webhooks are configured, and never more than a push onto a queue on the hot path.

export type LeaveReason = "left" | "removed" | "timed_out" | "refused";

export type RelayEvent =
  | { type: "room_started"; room: string }
  | { type: "room_finished"; room: string }
  | { type: "participant_joined"; room: string; id: number; name: string }
  | { type: "participant_left"; room: string; id: number; name: string; reason: LeaveReason }
  | { type: "participant_refused"; room: string; name: string | null; reason: string }
  | { type: "recording_started"; room: string; id: number; name: string }
  | { type: "recording_stopped"; room: string; id: number; name: string };

/** What a receiver gets: the event plus an id (for deduplication) and the relay's clock. */
export type WebhookPayload = RelayEvent & { eventId: string; time: string; seq: number };

type Listener = (event: RelayEvent) => void;

let listener: Listener | null = null;

export const relayEvents = {
  emit(event: RelayEvent): void {
    listener?.(event);
  },
  listen(next: Listener | null): void {
    listener = next;
  },
};

/** Close codes → why a participant left: its own close, the relay's decision, or a lost link. */
export function leaveReason(code: number): LeaveReason {
  if (code === 1000 || code === 1001 || code === 1005) return "left";
  if (code === 1006) return "timed_out";
  return "removed";
}
