// One WebSocket to the relay, re-opened with exponential backoff and jitter whenever it drops.
// Capture keeps running meanwhile; frames are simply skipped while there is no open socket.
// A connect that fails is explained in one line (connect-failure.ts); what retrying can't fix
// (a certificate, the wrong scheme, a refused token, a name that never resolved) ends the session.
import { cancellableSleep } from "../client-core/backoff.ts";
import { ReconnectPolicy } from "../client-core/reconnect-policy.ts";
import { explainConnectFailure } from "./connect-failure.ts";
import { openWebSocket } from "./connection-options.ts";

export interface ConnectionHandlers {
  onOpen(socket: WebSocket): void;
  onMessage(data: ArrayBuffer | string): void;
  onClose(code: number, reason: string): void;
  /** The connect failed in a way retrying can't fix (bad token, untrusted certificate): stop. */
  onRefused(message: string): void;
  log(line: string): void;
}

export class RelayConnection {
  readonly #url: string;
  readonly #handlers: ConnectionHandlers;
  /** Headers (join token) and TLS options (--ca) for every connect. */
  readonly #init: Bun.WebSocketOptions;
  readonly #reconnect = new ReconnectPolicy();
  #socket: WebSocket | null = null;
  #open = false;
  #stopping = false;
  #cancelSleep: () => void = () => {};
  #loop: Promise<void> | null = null;
  connects = 0;

  constructor(url: string, handlers: ConnectionHandlers, init: Bun.WebSocketOptions = {}) {
    this.#url = url;
    this.#handlers = handlers;
    this.#init = init;
  }

  /** The socket when it is open, else null. */
  get socket(): WebSocket | null {
    return this.#open ? this.#socket : null;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Closes with 1000 (normal closure) and stops reconnecting. */
  async close(): Promise<void> {
    this.#stopping = true;
    this.#cancelSleep();
    const socket = this.#socket;
    if (socket && socket.readyState <= WebSocket.OPEN) {
      const closed = new Promise<void>((resolve) => {
        socket.addEventListener("close", () => resolve(), { once: true });
        setTimeout(resolve, 1500);
      });
      socket.close(1000, "bye");
      await closed;
    }
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const { opened, error } = await this.#connectOnce();
      if (this.#stopping) return;
      let why: string | null = null;
      if (!opened) {
        const failure = await explainConnectFailure({
          url: this.#url,
          error,
          init: this.#init,
          hasCa: Boolean(this.#init.tls),
          wasConnected: this.connects > 0,
        });
        if (this.#stopping) return;
        if (!failure.retry) {
          this.#stopping = true;
          this.#handlers.onRefused(failure.line);
          return;
        }
        why = failure.line;
      }
      const delay = this.#reconnect.nextDelay();
      const wait = `${(delay / 1000).toFixed(1)} s`;
      this.#handlers.log(why ? `${why}, retrying in ${wait}` : `reconnecting in ${wait}`);
      const sleep = cancellableSleep(delay);
      this.#cancelSleep = sleep.cancel;
      await sleep.done;
    }
  }

  /** Resolves when the socket closes: whether it opened at all, and the error if it gave one. */
  #connectOnce(): Promise<{ opened: boolean; error: string }> {
    return new Promise((resolve) => {
      let opened = false;
      let error = "";
      const socket = openWebSocket(this.#url, this.#init);
      socket.binaryType = "arraybuffer";
      this.#socket = socket;
      socket.onopen = () => {
        opened = true;
        this.#reconnect.up();
        this.#open = true;
        this.connects++;
        this.#handlers.onOpen(socket);
      };
      socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
        this.#handlers.onMessage(event.data);
      };
      socket.onclose = (event) => {
        this.#open = false;
        // Our own close (Ctrl-C) needs no report: the session is finishing everything itself.
        if (this.#stopping) {
          resolve({ opened, error });
          return;
        }
        // A connect that never opened is explained by explainConnectFailure.
        if (opened) this.#handlers.onClose(event.code, event.reason);
        resolve({ opened, error });
      };
      // Errors are always followed by close, which reports and schedules the retry.
      socket.onerror = (event) => {
        // Bun's ErrorEvent: a message ("... failed: Failed to connect") and, on `error`, a code.
        const { message, error: cause } = event as ErrorEvent;
        const code = (cause as { code?: unknown } | undefined)?.code;
        error = [message ?? "", typeof code === "string" ? code : ""].join(" ").trim();
      };
    });
  }
}
