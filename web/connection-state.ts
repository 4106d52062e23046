// The connection's state as the page shows it: in the status line and as data-state on #app.

export type ConnectionState =
  | { kind: "idle" }
  | { kind: "connecting"; attempt: number }
  | { kind: "live" }
  | { kind: "reconnecting"; retryAtMs: number };

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
      return `connection lost: reconnecting in ${seconds} s`;
    }
  }
}
