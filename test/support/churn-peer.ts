// Participants for churn tests (test/relay/leak.test.ts): every kind the relay keeps state for,
// joining, sending and leaving quickly. A ChurnPeer is a v1 participant on Bun's WebSocket that
// acks what it gets when it joined with ack=1; a RawPeer speaks just enough WebSocket over a raw
// TCP socket to join, send and then vanish without a close frame (a killed tab, a lost network).
import { makeJpeg } from "../../harness/jpeg-images.ts";
import {
  audioTrackAnnouncement,
  encodeAudioPacket,
  encodeH264Frame,
  encodeLayerRequest,
  encodeLayersAnnounce,
  encodeVideoFrame,
  FrameFlag,
  FrameKind,
  HEADER_BYTES,
  isControlText,
  parseControl,
  writeAckFor,
} from "../../protocol/index.ts";

const JPEG = makeJpeg(32, 24, 3);
/** Not a real access unit: the relay reads only the header of kind 4 (key flag, layers). */
const H264_UNIT = new Uint8Array([0, 0, 0, 1, 0x65, 1, 2, 3, 4, 5, 6, 7]);
const OPUS = new Uint8Array(40).fill(7);

export interface ChurnOptions {
  ack?: boolean;
  layers?: boolean;
  audio?: boolean;
  e2ee?: boolean;
  h264?: boolean;
  /** `shares=1`: takes screen shares (with ack), and gets a share key in its welcome. */
  shares?: boolean;
  /** This connection is the screen share of `owner` (its id and welcome's share key). */
  screenOf?: { id: number; key: string };
}

export function churnQuery(name: string, o: ChurnOptions): string {
  const query = new URLSearchParams({ name });
  if (o.ack) query.set("ack", "1");
  if (o.ack && o.layers) query.set("layers", "1");
  if (o.audio === false) query.set("audio", "0");
  if (o.e2ee) query.set("e2ee", "1");
  if (o.h264) query.set("codecs", "h264");
  if (o.shares) query.set("shares", "1");
  if (o.screenOf) {
    query.set("source", "screen");
    query.set("owner", String(o.screenOf.id));
    query.set("share", o.screenOf.key);
  }
  return query.toString();
}

/** One frame of each kind a sender may send, ready to go (the relay stamps the sender id). */
export const churnFrames = {
  jpeg(seq: number, layer = 0, encrypted = false): Uint8Array<ArrayBuffer> {
    const frame = encodeVideoFrame(JPEG, Date.now(), seq, 0, layer);
    if (encrypted) {
      // The relay only reads the flag; 28 bytes more stand for the nonce and tag.
      const sealed = new Uint8Array(frame.byteLength + 28);
      sealed.set(frame);
      sealed[2] = (sealed[2] as number) | FrameFlag.Encrypted;
      return sealed;
    }
    return frame;
  },
  h264(seq: number, key: boolean, layer = 0, temporal = 0): Uint8Array<ArrayBuffer> {
    return encodeH264Frame(H264_UNIT, Date.now(), seq, key, layer, temporal);
  },
  audio(seq: number): Uint8Array<ArrayBuffer> {
    return encodeAudioPacket(OPUS, Date.now(), seq);
  },
  legacyText(): string {
    return Buffer.from(JPEG).toString("base64");
  },
};

export class ChurnPeer {
  id = 0;
  /** From the welcome when joined with `shares`: what this peer's share connection presents. */
  shareKey = "";
  received = 0;
  readonly #ack: Uint8Array<ArrayBuffer> = new Uint8Array(HEADER_BYTES);

  private constructor(
    readonly ws: WebSocket,
    readonly acks: boolean,
  ) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {
        if (!isControlText(event.data)) return;
        const control = parseControl(event.data);
        if (control?.type === "welcome") {
          this.id = control.id;
          this.shareKey = control.shareKey ?? "";
        }
        return;
      }
      this.received++;
      const frame = new Uint8Array(event.data as ArrayBuffer);
      const kind = frame[1];
      if (!this.acks || (kind !== FrameKind.VideoJpeg && kind !== FrameKind.VideoH264)) return;
      writeAckFor(this.#ack, frame);
      this.send(this.#ack);
    };
  }

  /** Joins `room` and resolves on the welcome. */
  static join(httpBase: string, room: string, name: string, o: ChurnOptions = {}) {
    const url = `${httpBase.replace(/^http/, "ws")}/v1/rooms/${room}?${churnQuery(name, o)}`;
    const peer = new ChurnPeer(new WebSocket(url), o.ack === true);
    return new Promise<ChurnPeer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no welcome from ${url}`)), 10_000);
      const started = Date.now();
      const poll = setInterval(() => {
        if (peer.id !== 0) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(peer);
        } else if (peer.ws.readyState >= WebSocket.CLOSING || Date.now() - started > 10_000) {
          clearInterval(poll);
          clearTimeout(timer);
          reject(new Error(`join of ${url} failed`));
        }
      }, 5);
    });
  }

  send(data: Uint8Array<ArrayBuffer> | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  announceLayers(count: number): void {
    const sizes = [
      { width: 32, height: 24 },
      { width: 16, height: 16 },
      { width: 16, height: 16 },
    ];
    this.send(encodeLayersAnnounce(sizes.slice(0, count)));
  }

  requestLayer(sender: number, layer: number): void {
    this.send(encodeLayerRequest(sender, layer));
  }

  announceAudio(): void {
    this.send(JSON.stringify(audioTrackAnnouncement()));
  }

  /** A clean leave: close frame, then the relay's close handler. */
  close(): void {
    this.ws.close(1000, "bye");
  }

  /** Resolves once the socket is closed (after close()). */
  closed(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.ws.addEventListener("close", () => resolve()));
  }
}

/** A WebSocket client frame, masked with a zero key (the payload goes as it is). */
function clientFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const length = payload.byteLength;
  const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = new Uint8Array(head + 4 + length);
  frame[0] = 0x80 | opcode;
  if (head === 2) frame[1] = 0x80 | length;
  else if (head === 4) {
    frame[1] = 0x80 | 126;
    new DataView(frame.buffer).setUint16(2, length);
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
  }
  frame.set(payload, head + 4);
  return frame;
}

/** Joins over a raw TCP socket; kill() drops the connection with no close frame. */
export class RawPeer {
  private constructor(readonly socket: Bun.Socket<undefined>) {}

  static async join(port: number, path: string): Promise<RawPeer> {
    let upgraded: () => void = () => {};
    let failed: (error: Error) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      upgraded = resolve;
      failed = reject;
    });
    let head = "";
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_socket, data) {
          if (head.includes("\r\n\r\n")) return; // frames from the relay: not read
          head += data.toString("latin1");
          if (!head.includes("\r\n\r\n")) return;
          if (head.startsWith("HTTP/1.1 101")) upgraded();
          else failed(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
        },
        close() {
          failed(new Error("closed before the upgrade"));
        },
        error(_socket, error) {
          failed(error);
        },
      },
    });
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const timer = setTimeout(() => failed(new Error("no 101 within 10 s")), 10_000);
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
    return new RawPeer(socket);
  }

  sendBinary(bytes: Uint8Array): void {
    this.socket.write(clientFrame(0x2, bytes));
  }

  sendText(text: string): void {
    this.socket.write(clientFrame(0x1, new TextEncoder().encode(text)));
  }

  /** Gone without a close frame: the TCP connection is torn down at once. */
  kill(): void {
    this.socket.terminate();
  }
}
