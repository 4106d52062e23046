// A real WebSocket participant for tests: records everything it receives and can wait for it.
import {
  type ControlMessage,
  isControlText,
  parseControl,
  type WelcomeMessage,
} from "../../protocol/index.ts";

// Bun's WebSocket also takes an options object (headers, tls); the DOM typing doesn't know it.
const BunWebSocket = WebSocket as unknown as new (
  url: string,
  init: Bun.WebSocketOptions,
) => WebSocket;

export interface Closed {
  code: number;
  reason: string;
}

export class TestPeer {
  readonly binary: Uint8Array[] = [];
  readonly texts: string[] = [];
  readonly controls: ControlMessage[] = [];
  /** Receive time (performance.timeOrigin + now) of each binary message, parallel to `binary`. */
  readonly binaryTimes: number[] = [];
  closed: Closed | null = null;
  private waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {
        if (isControlText(event.data)) {
          const control = parseControl(event.data);
          if (control) this.controls.push(control);
        } else {
          this.texts.push(event.data);
        }
      } else {
        this.binary.push(new Uint8Array(event.data as ArrayBuffer));
        this.binaryTimes.push(performance.timeOrigin + performance.now());
      }
      this.wake();
    };
    ws.onclose = (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.wake();
    };
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /**
   * Opens a socket; resolves once open (or rejects on error/close before open). `init` takes
   * Bun's WebSocket options: headers (a Bearer token), tls (a test CA).
   */
  static connect(url: string, timeoutMs = 5000, init?: Bun.WebSocketOptions): Promise<TestPeer> {
    return new Promise((resolve, reject) => {
      const ws = init ? new BunWebSocket(url, init) : new WebSocket(url);
      const peer = new TestPeer(ws);
      const timer = setTimeout(() => reject(new Error(`connect timeout: ${url}`)), timeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve(peer);
      };
      ws.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`connect failed: ${url}`));
      };
    });
  }

  /** Connects a protocol v1 peer and waits for its welcome. */
  static async join(
    relayWsUrl: string,
    room: string,
    name: string,
  ): Promise<TestPeer & { welcome: WelcomeMessage }> {
    const peer = await TestPeer.connect(
      `${relayWsUrl}/v1/rooms/${room}?name=${encodeURIComponent(name)}`,
    );
    const welcome = await peer.waitForControl("welcome");
    return Object.assign(peer, { welcome });
  }

  /** Connects with Bun's WebSocket options and waits for the welcome (any URL, any room). */
  static async joinWith(
    url: string,
    init: Bun.WebSocketOptions = {},
  ): Promise<TestPeer & { welcome: WelcomeMessage }> {
    const peer = await TestPeer.connect(url, 5000, init);
    const welcome = await peer.waitForControl("welcome");
    return Object.assign(peer, { welcome });
  }

  /** Waits until `probe` (of what this peer received) returns something truthy, and returns it. */
  async until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
    let value: T | undefined | false;
    const found = () => {
      value = probe();
      return Boolean(value);
    };
    await this.waitFor(found, what, timeoutMs);
    return value as T;
  }

  /** Resolves when `predicate` holds; rejects after `timeoutMs` with `what` in the message. */
  waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  async waitForControl<T extends ControlMessage["type"]>(
    type: T,
    match: (message: Extract<ControlMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<ControlMessage, { type: T }>> {
    const find = () =>
      this.controls.find(
        (c): c is Extract<ControlMessage, { type: T }> => c.type === type && match(c as never),
      );
    await this.waitFor(() => find() !== undefined, `control message ${type}`, timeoutMs);
    return find() as Extract<ControlMessage, { type: T }>;
  }

  waitForClose(timeoutMs = 5000): Promise<Closed> {
    return this.waitFor(() => this.closed !== null, "close", timeoutMs).then(
      () => this.closed as Closed,
    );
  }

  close(code = 1000): void {
    this.ws.close(code);
  }
}
