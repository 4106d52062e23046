// A bench receiver for layers: joins with ?ack=1&layers=1, acks every frame as it arrives, keeps
// each frame's header (not the JPEG) and receive time, and may ask for a layer of every sender.
import {
  encodeLayerRequest,
  HEADER_BYTES,
  isControlText,
  parseControl,
  roomUrl,
  writeAckFor,
} from "../protocol/index.ts";

export class LayerReceiver {
  /** Headers of the frames received (20 bytes each), parallel to `times`. */
  readonly frames: Uint8Array[] = [];
  readonly times: number[] = [];
  readonly sizes: number[] = [];
  bytes = 0;
  readonly #ack = new Uint8Array(HEADER_BYTES);

  private constructor(
    readonly ws: WebSocket,
    /** Layer asked of every sender that announces layers (null: ask nothing). */
    readonly ask: number | null,
  ) {}

  static join(
    wsUrl: string,
    room: string,
    name: string,
    ask: number | null,
    /** Codecs declared at join besides JPEG (["h264"]: it gets kind 4). */
    codecs: readonly "h264"[] = [],
  ): Promise<LayerReceiver> {
    const ws = new WebSocket(roomUrl(wsUrl, room, { name, ack: true, layers: true, codecs }));
    ws.binaryType = "arraybuffer";
    const receiver = new LayerReceiver(ws, ask);
    return new Promise((resolve, reject) => {
      ws.onmessage = (event) => {
        if (typeof event.data !== "string") {
          const frame = new Uint8Array(event.data as ArrayBuffer);
          receiver.frames.push(frame.slice(0, HEADER_BYTES));
          receiver.times.push(performance.timeOrigin + performance.now());
          receiver.bytes += frame.byteLength;
          receiver.sizes.push(frame.byteLength);
          writeAckFor(receiver.#ack, frame);
          ws.send(receiver.#ack);
          return;
        }
        if (!isControlText(event.data)) return;
        const control = parseControl(event.data);
        if (control?.type === "welcome") {
          for (const peer of control.peers) if (peer.layers) receiver.#request(peer.id);
          resolve(receiver);
        } else if (control?.type === "layers") receiver.#request(control.id);
      };
      ws.onerror = () => reject(new Error(`receiver ${name} could not join`));
    });
  }

  #request(sender: number): void {
    if (this.ask !== null) this.ws.send(encodeLayerRequest(sender, this.ask));
  }

  close(): void {
    this.ws.close(1000);
  }
}
