// One WebSocket to the relay, re-opened with exponential backoff and jitter whenever it drops.
// Capture keeps running meanwhile; frames are simply skipped while there is no open socket.
import { cancellableSleep } from "../client-core/backoff.ts";
import { ReconnectPolicy } from "../client-core/reconnect-policy.ts";
import { openWebSocket } from "./connection-options.ts";
import { probeRefusal } from "./refusal-probe.ts";

export interface ConnectionHandlers {
  onOpen(socket: WebSocket): void;
  onMessage(data: ArrayBuffer | string): void;
  onClose(code: number, reason: string): void;
  /** The relay refused us in a way retrying can't fix (bad token, wrong room): stop. */
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
      const opened = await this.#connectOnce();
      if (this.#stopping) return;
      if (!opened && (await this.#explainFailure())) return;
      const delay = this.#reconnect.nextDelay();
      this.#handlers.log(`reconnecting in ${(delay / 1000).toFixed(1)} s`);
      const sleep = cancellableSleep(delay);
      this.#cancelSleep = sleep.cancel;
      await sleep.done;
    }
  }

  /** Says why a connect failed; true when it was a refusal that retrying can't fix. */
  async #explainFailure(): Promise<boolean> {
    const refusal = await probeRefusal(this.#url, this.#init);
    if (this.#stopping) return true;
    if (!refusal) {
      this.#handlers.log(`cannot reach the relay at ${this.#url}`);
      return false;
    }
    const message = `the relay refused the connection: HTTP ${refusal.status} ${refusal.reason}`;
    if (!refusal.permanent) {
      this.#handlers.log(message);
      return false;
    }
    this.#stopping = true;
    this.#handlers.onRefused(message);
    return true;
  }

  /** Resolves when the socket closes: whether it opened at all. */
  #connectOnce(): Promise<boolean> {
    return new Promise((resolve) => {
      let opened = false;
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
          resolve(opened);
          return;
        }
        // A connect that never opened is explained by #explainFailure.
        if (opened) this.#handlers.onClose(event.code, event.reason);
        resolve(opened);
      };
      // Errors are always followed by close, which reports and schedules the retry.
      socket.onerror = () => {};
    });
  }
}
