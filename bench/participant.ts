// One bench participant: a WebSocket that may publish frames and always counts what it receives.
// Receiving does the least work that still proves delivery: read the capture time, check size.

import { readStampFromBase64, writeStamp } from "../harness/jpeg-frames.ts";
import {
  ENCRYPTION_OVERHEAD,
  encodeH264Frame,
  encodeVideoFrame,
  FrameSealer,
  HEADER_BYTES,
  importRoomKey,
  isControlText,
  parseControl,
  readCaptureTime,
  readSenderId,
  writeAckFor,
} from "../protocol/index.ts";
import type { ParticipantSpec } from "./client-protocol.ts";
import { nowMs } from "./client-protocol.ts";

const CONNECT_TIMEOUT_MS = 10_000;

/** What receivers collect during one phase; shared by all participants of a process. */
export interface PhaseTally {
  startAt: number;
  received: Map<number, number>;
  bytesReceived: number;
  latenciesMs: number[];
  malformed: number;
  echoed: number;
}

let lastFrameAt = 0;

/** When any participant of this process last received a frame, phase or not. */
export function lastFrameReceivedAt(): number {
  return lastFrameAt;
}

export class Participant {
  readonly spec: ParticipantSpec;
  private readonly socket: WebSocket;
  private readonly jpeg: Uint8Array;
  /** Legacy publishers stamp a private copy of the frame, then base64 it. */
  private readonly legacyFrame: Uint8Array;
  private readonly expectedBinaryBytes: number;
  private readonly expectedTextLength: number;
  private readonly ackMessage = new Uint8Array(HEADER_BYTES);
  private ownId = -1;
  /** bench --e2ee: seals each frame before it is sent, as an encrypted room's client does. */
  private sealer: FrameSealer | null = null;
  private readonly keyReady: Promise<void>;
  private tally: PhaseTally | null = null;
  closedReason: string | null = null;

  constructor(spec: ParticipantSpec, jpeg: Uint8Array, onClose: (who: Participant) => void) {
    this.spec = spec;
    this.jpeg = jpeg;
    this.legacyFrame = jpeg.slice();
    this.expectedBinaryBytes =
      HEADER_BYTES + jpeg.byteLength + (spec.e2eeKey ? ENCRYPTION_OVERHEAD : 0);
    this.keyReady = spec.e2eeKey
      ? importRoomKey(spec.e2eeKey).then((key) => {
          this.sealer = new FrameSealer(key);
        })
      : Promise.resolve();
    this.expectedTextLength = Math.ceil(jpeg.byteLength / 3) * 4;
    this.socket = new WebSocket(spec.url);
    this.socket.binaryType = "arraybuffer";
    this.socket.addEventListener("message", (event) => this.onMessage(event.data));
    this.socket.addEventListener("close", (event) => {
      this.closedReason = `${spec.name} closed: ${event.code} ${event.reason}`;
      onClose(this);
    });
  }

  /** Resolves once the relay has us in the room: welcome on /v1, open on the old protocol. */
  async ready(): Promise<void> {
    await Promise.all([this.joined(), this.keyReady]);
  }

  private joined(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.spec.name}: no welcome within 10 s`)),
        CONNECT_TIMEOUT_MS,
      );
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.addEventListener("error", () => reject(new Error(`${this.spec.name}: error`)));
      this.socket.addEventListener("close", () => reject(new Error(this.closedReason ?? "closed")));
      if (this.spec.legacy) {
        this.socket.addEventListener("open", done, { once: true });
        return;
      }
      this.socket.addEventListener("message", (event) => {
        if (typeof event.data !== "string") return;
        const control = parseControl(event.data);
        if (control?.type === "welcome") {
          this.ownId = control.id;
          done();
        }
      });
    });
  }

  startPhase(tally: PhaseTally): void {
    this.tally = tally;
  }

  endPhase(): void {
    this.tally = null;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(seq: number): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const captureTime = nowMs();
    if (this.spec.legacy) {
      writeStamp(this.legacyFrame, captureTime, this.spec.index, seq);
      this.socket.send(Buffer.from(this.legacyFrame).toString("base64"));
    } else if (this.spec.h264) {
      // The relay never reads the payload: the same bytes as kind 4 measure its H.264 path.
      const frame = encodeH264Frame(this.jpeg, captureTime, seq, seq % 30 === 0);
      if (this.sealer) {
        void this.sealer.seal(frame).then((message) => {
          if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
        });
      } else this.socket.send(frame);
    } else if (this.sealer) {
      void this.sealer.seal(encodeVideoFrame(this.jpeg, captureTime, seq)).then((message) => {
        if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
      });
    } else {
      // encodeVideoFrame allocates a plain ArrayBuffer; its declared type is just wider.
      this.socket.send(encodeVideoFrame(this.jpeg, captureTime, seq) as Uint8Array<ArrayBuffer>);
    }
  }

  close(): void {
    this.socket.close(1000, "bench done");
  }

  /** --acks: done with the frame on arrival (one reused buffer, no allocation). */
  private ack(frame: Uint8Array): void {
    if (frame.byteLength < HEADER_BYTES || this.socket.readyState !== WebSocket.OPEN) return;
    writeAckFor(this.ackMessage, frame);
    this.socket.send(this.ackMessage);
  }

  private onMessage(data: unknown): void {
    const receivedAt = nowMs();
    if (this.spec.ack && data instanceof ArrayBuffer) this.ack(new Uint8Array(data));
    if (typeof data !== "string" || !isControlText(data)) lastFrameAt = receivedAt;
    const tally = this.tally;
    if (!tally) return;
    let captureTime: number;
    if (typeof data === "string") {
      if (isControlText(data)) return;
      const stamp = readStampFromBase64(data);
      if (!stamp || data.length !== this.expectedTextLength) {
        tally.malformed++;
        return;
      }
      if (stamp.publisher === this.spec.index) tally.echoed++;
      captureTime = stamp.captureTimeMs;
      tally.bytesReceived += data.length;
    } else if (data instanceof ArrayBuffer) {
      const frame = new Uint8Array(data);
      if (frame.byteLength !== this.expectedBinaryBytes) {
        tally.malformed++;
        return;
      }
      if (this.ownId > 0 && readSenderId(frame) === this.ownId) tally.echoed++;
      captureTime = readCaptureTime(frame);
      tally.bytesReceived += frame.byteLength;
    } else {
      tally.malformed++;
      return;
    }
    // A late frame from an earlier phase is not this phase's delivery.
    if (captureTime < tally.startAt - 1) return;
    tally.received.set(this.spec.index, (tally.received.get(this.spec.index) ?? 0) + 1);
    tally.latenciesMs.push(receivedAt - captureTime);
  }
}
