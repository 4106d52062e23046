// A fast protocol-v1 receiver that joins with ?ack=1 and acks every frame as soon as it arrives
// (or never, or by hand, for tests of the relay's pacing).
import {
  HEADER_BYTES,
  isControlText,
  parseControl,
  readSequence,
  roomUrl,
  type WelcomeMessage,
  writeAckFor,
} from "../../protocol/index.ts";

export type AckMode = "auto" | "manual";

export class AckingPeer {
  readonly frames: Uint8Array[] = [];
  /** Receive time of each frame, parallel to `frames`. */
  readonly times: number[] = [];
  readonly controls: Array<Record<string, unknown>> = [];
  welcome: WelcomeMessage | null = null;
  closed = false;

  private constructor(
    readonly ws: WebSocket,
    private readonly mode: AckMode,
  ) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {
        if (!isControlText(event.data)) return;
        this.controls.push(JSON.parse(event.data) as Record<string, unknown>);
        const control = parseControl(event.data);
        if (control?.type === "welcome") this.welcome = control;
        return;
      }
      const frame = new Uint8Array(event.data as ArrayBuffer);
      this.frames.push(frame);
      this.times.push(performance.timeOrigin + performance.now());
      if (this.mode === "auto") this.ack(frame);
    };
    ws.onclose = () => {
      this.closed = true;
    };
  }

  static async join(
    relayWsUrl: string,
    room: string,
    name: string,
    mode: AckMode = "auto",
    ack = true,
    layers = false,
    h264 = false,
  ): Promise<AckingPeer> {
    const codecs = h264 ? (["h264"] as const) : [];
    const ws = new WebSocket(roomUrl(relayWsUrl, room, { name, ack, layers, codecs }));
    const peer = new AckingPeer(ws, mode);
    await peer.waitFor(() => peer.welcome !== null, `welcome for ${name}`);
    return peer;
  }

  ack(frame: Uint8Array): void {
    const message = new Uint8Array(HEADER_BYTES);
    writeAckFor(message, frame);
    this.ws.send(message);
  }

  /** Sequence numbers received, in order. */
  get sequences(): number[] {
    return this.frames.map((f) => readSequence(f));
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(5);
    }
  }

  close(): void {
    this.ws.close(1000);
  }
}
