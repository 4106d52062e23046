// The connection's state as the page shows it: in the status line and as data-state on #app.
import type { Refusal } from "../../client-core/refusals.ts";

export type ConnectionState =
  | { kind: "idle" }
  | { kind: "connecting"; attempt: number }
  | { kind: "live" }
  /** `refusal`: why the last try was turned away, when the relay said (429, 503...). */
  | { kind: "reconnecting"; retryAtMs: number; refusal?: Refusal }
  /** The relay said no in a way retrying can't fix (401, 403...): the page stops trying. */
  | { kind: "refused"; refusal: Refusal };

/** One short line for the status bar; `nowMs` drives the "reconnecting in N s" countdown. */
export function describeState(state: ConnectionState, nowMs: number): string {
  switch (state.kind) {
    case "idle":
      return "not connected";
    case "connecting":
      return state.attempt > 1 ? `connecting (try ${state.attempt})…` : "connecting…";
    case "live":
      return "live";
    case "reconnecting": {
      const seconds = Math.max(0, Math.ceil((state.retryAtMs - nowMs) / 1000));
      const why = state.refusal ? `refused (${state.refusal.reason})` : "connection lost";
      return `${why}: reconnecting in ${seconds} s`;
    }
    case "refused":
      return `refused: ${state.refusal.reason}`;
  }
}

/**
 * The sentence the page shows for a refusal: what happened in the relay's words, and what the
 * person can do about it. `hasToken`: the page was opened from a join link.
 */
export function explainRefusal(refusal: Refusal, hasToken: boolean): string {
  const relaySays = `(HTTP ${refusal.status}: ${refusal.reason})`;
  if (refusal.status === 401 && !hasToken) {
    return `This relay lets in only people with a join link ${relaySays}. Ask whoever runs it for your own link; they make one with: npm run relay -- token --room ROOM --name NAME.`;
  }
  if (refusal.status === 401 && /expired/i.test(refusal.reason)) {
    return `Your join link has expired ${relaySays}. Ask whoever runs the relay for a new one.`;
  }
  if (refusal.status === 401) {
    return `The relay does not accept your join link ${relaySays}. Ask whoever runs it for a new one.`;
  }
  if (refusal.status === 403 && /removed/i.test(refusal.reason)) {
    return `A moderator removed you from this room ${relaySays}. This join link no longer lets you in.`;
  }
  if (refusal.status === 403 && /locked/i.test(refusal.reason)) {
    return `The room is locked ${relaySays}: only moderators can join now. Ask the host to unlock it.`;
  }
  if (refusal.status === 403 && /room/i.test(refusal.reason)) {
    return `Your join link is for another room ${relaySays}. Open the link exactly as you got it, or ask for one for this room.`;
  }
  if (refusal.status === 403) {
    return `The relay refuses this page ${relaySays}. Open the page from the relay's own address.`;
  }
  if (refusal.permanent) return `The relay refused to let you in ${relaySays}.`;
  return `The relay turned the connection away ${relaySays}; trying again.`;
}
