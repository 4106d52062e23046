// One WebSocket to a room on the relay, re-opened with exponential backoff and jitter whenever it
// drops. "live" means the relay's welcome arrived, not merely that the socket opened.
import { ReconnectPolicy } from "../../client-core/reconnect-policy.ts";
import type { Refusal } from "../../client-core/refusals.ts";
import {
  type ControlMessage,
  type ErrorMessage,
  isControlText,
  parseControl,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import type { ConnectionState } from "./connection-state.ts";
import { checkRefusal } from "./refusal-check.ts";

export interface RoomHandlers {
  onState(state: ConnectionState): void;
  onWelcome(welcome: WelcomeMessage): void;
  onControl(message: Exclude<ControlMessage, WelcomeMessage | ErrorMessage>): void;
  /** The relay's `error` message (sent before it closes, or for a refused frame). */
  onRelayError(error: ErrorMessage): void;
  /** A binary frame; the view is only valid during the call (copy what you keep). */
  onFrame(message: Uint8Array): void;
  /** The socket closed (before a reconnect is scheduled). */
  onClosed(code: number, reason: string): void;
  /** The relay refused the join (401, 403, 429...); for a permanent refusal nothing is retried. */
  onRefused(refusal: Refusal): void;
}

export class RoomConnection {
  /** Asked at each attempt (the page's codecs are known only once WebCodecs answered). */
  readonly #url: () => string;
  readonly #handlers: RoomHandlers;
  readonly #reconnect = new ReconnectPolicy();
  #socket: WebSocket | null = null;
  #live = false;
  #stopped = true;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string | (() => string), handlers: RoomHandlers) {
    this.#url = typeof url === "string" ? () => url : url;
    this.#handlers = handlers;
  }

  /** The socket once the relay has welcomed us; null while connecting or reconnecting. */
  get socket(): WebSocket | null {
    return this.#live ? this.#socket : null;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    globalThis.addEventListener("online", this.#retryNow);
    this.#connect();
  }

  /** Closes with 1000 and stops reconnecting. */
  stop(): void {
    this.#stopped = true;
    this.#live = false;
    clearTimeout(this.#retryTimer);
    globalThis.removeEventListener("online", this.#retryNow);
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "left the room");
    this.#handlers.onState({ kind: "idle" });
  }

  /** The network came back (phones switching networks): don't wait out the backoff. */
  readonly #retryNow = (): void => {
    if (this.#stopped || this.#socket) return;
    clearTimeout(this.#retryTimer);
    this.#connect();
  };

  #connect(): void {
    this.#attempt++;
    this.#handlers.onState({ kind: "connecting", attempt: this.#attempt });
    const socket = new WebSocket(this.#url());
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      if (socket === this.#socket) this.#receive(event.data);
    };
    // Errors are always followed by close, which reports and schedules the retry.
    socket.onclose = (event) => {
      if (socket === this.#socket) this.#closed(event.code, event.reason);
    };
  }

  #receive(data: ArrayBuffer | string): void {
    if (typeof data !== "string") {
      this.#handlers.onFrame(new Uint8Array(data));
      return;
    }
    if (!isControlText(data)) return;
    const message = parseControl(data);
    if (!message) return;
    if (message.type === "welcome") {
      this.#live = true;
      this.#reconnect.up();
      this.#attempt = 0;
      this.#handlers.onWelcome(message);
      this.#handlers.onState({ kind: "live" });
    } else if (message.type === "error") {
      this.#handlers.onRelayError(message);
    } else {
      this.#handlers.onControl(message);
    }
  }

  #closed(code: number, reason: string): void {
    const wasLive = this.#live;
    this.#live = false;
    this.#socket = null;
    this.#handlers.onClosed(code, reason);
    if (this.#stopped) return;
    // Never welcomed: maybe refused. Ask why before deciding whether trying again can help.
    if (!wasLive) void this.#checkThenRetry();
    else this.#retryLater();
  }

  async #checkThenRetry(): Promise<void> {
    const refusal = await checkRefusal(this.#url());
    if (this.#stopped || this.#socket) return;
    if (refusal) this.#handlers.onRefused(refusal);
    if (refusal?.permanent) {
      this.#stopped = true;
      globalThis.removeEventListener("online", this.#retryNow);
      this.#handlers.onState({ kind: "refused", refusal });
      return;
    }
    this.#retryLater(refusal ?? undefined);
  }

  #retryLater(refusal?: Refusal): void {
    const delay = this.#reconnect.nextDelay();
    this.#handlers.onState({
      kind: "reconnecting",
      retryAtMs: Date.now() + delay,
      ...(refusal ? { refusal } : {}),
    });
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }
}
