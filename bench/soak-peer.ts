// One participant of the soak room (bench/processes/soak-load.ts): CLI-like load of one kind
// (layers, sound, acks, sealed frames, old protocol; bench/soak-protocol.ts). Every JPEG carries
// the bench stamp (harness/jpeg-frames.ts), so any receiver, old protocol included, reads the
// capture time. Receivers count a frame only inside their counted window: from a little after
// their join until a little before their announced leave, so churn itself is not a loss.
import { readStamp, readStampFromBase64, writeStamp } from "../harness/jpeg-frames.ts";
import {
  audioTrackAnnouncement,
  encodeAudioPacket,
  encodeLayerRequest,
  encodeLayersAnnounce,
  encodeVideoFrame,
  FrameKind,
  type FrameSealer,
  HEADER_BYTES,
  isControlText,
  isEncryptedFrame,
  LEGACY_ROOM,
  type PeerInfo,
  parseControl,
  readCaptureTime,
  readSenderId,
  readSequence,
  roomUrl,
  writeAckFor,
} from "../protocol/index.ts";
import { nowMs } from "./client-protocol.ts";
import type { SoakKind, SoakSample } from "./soak-protocol.ts";

/** Not counted for this long after the join: welcome, lanes and layer requests settle. */
const JOIN_GRACE_MS = 2000;
/** Nor this long before an announced leave: frames in flight when the socket closes. */
const LEAVE_GRACE_MS = 1000;
const OPUS = new Uint8Array(60).fill(0x55);

interface Role {
  publishes: boolean;
  layers: 1 | 2;
  ack: boolean;
  layered: boolean;
  audio: boolean;
  e2ee: boolean;
  legacy: boolean;
  /** Asks every sender for its small layer (layer_request). */
  asksSmall: boolean;
}

const RECEIVER: Role = {
  publishes: false,
  layers: 1,
  ack: false,
  layered: false,
  audio: true,
  e2ee: false,
  legacy: false,
  asksSmall: false,
};

export const ROLES: Record<SoakKind, Role> = {
  "layered-sender": { ...RECEIVER, publishes: true, layers: 2, ack: true, layered: true },
  sender: { ...RECEIVER, publishes: true },
  "sealed-sender": { ...RECEIVER, publishes: true, ack: true, e2ee: true },
  "legacy-sender": { ...RECEIVER, publishes: true, legacy: true, audio: false },
  acker: { ...RECEIVER, ack: true },
  "layered-receiver": { ...RECEIVER, ack: true, layered: true, asksSmall: true },
  "plain-receiver": { ...RECEIVER, audio: false },
  "legacy-receiver": { ...RECEIVER, legacy: true, audio: false },
};

/** Expected and received deliveries and latencies, bucketed by capture second. */
export class SoakTally {
  readonly #seconds = new Map<number, { expected: number; received: number; ms: number[] }>();
  joins = 0;
  leaves = 0;
  unexpectedCloses = 0;

  #bucket(at: number) {
    const key = Math.floor(at / 1000);
    let bucket = this.#seconds.get(key);
    if (!bucket) {
      bucket = { expected: 0, received: 0, ms: [] };
      this.#seconds.set(key, bucket);
    }
    return bucket;
  }

  expect(at: number, count: number): void {
    this.#bucket(at).expected += count;
  }

  receive(at: number, latencyMs: number): void {
    const bucket = this.#bucket(at);
    bucket.received++;
    bucket.ms.push(latencyMs);
  }

  /** Everything captured before `before` (ms), then forgotten; joins and leaves since last time. */
  take(before: number): SoakSample {
    let expected = 0;
    let received = 0;
    const ms: number[] = [];
    for (const [key, bucket] of this.#seconds) {
      if ((key + 1) * 1000 > before) continue;
      expected += bucket.expected;
      received += bucket.received;
      for (const v of bucket.ms) ms.push(v);
      this.#seconds.delete(key);
    }
    ms.sort((a, b) => a - b);
    const at = (q: number) =>
      ms.length === 0 ? null : (ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] as number);
    const sample = {
      expected,
      received,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      joins: this.joins,
      leaves: this.leaves,
      unexpectedCloses: this.unexpectedCloses,
    };
    this.joins = 0;
    this.leaves = 0;
    this.unexpectedCloses = 0;
    return sample;
  }
}

export interface SoakPeerSetup {
  kind: SoakKind;
  /** Unique in this process: the stamp's publisher field, so receivers tell senders apart. */
  index: number;
  relay: string;
  room: string;
  frames: { full: Uint8Array; small: Uint8Array };
  sealer: FrameSealer | null;
  tally: SoakTally;
}

export class SoakPeer {
  readonly role: Role;
  readonly #socket: WebSocket;
  readonly #full: Uint8Array;
  readonly #small: Uint8Array;
  readonly #ack = new Uint8Array(HEADER_BYTES);
  /** Last sequence counted per sender (a layer switch may deliver one frame twice). */
  readonly #lastSeq = new Map<number, number>();
  joinedAt = Number.POSITIVE_INFINITY;
  leavingAt = Number.POSITIVE_INFINITY;
  gone = false;
  #seq = 0;
  #audioSeq = 0;

  constructor(readonly setup: SoakPeerSetup) {
    this.role = ROLES[setup.kind];
    this.#full = setup.frames.full.slice();
    this.#small = setup.frames.small.slice();
    const name = `${setup.kind}-${setup.index}`;
    const url = this.role.legacy
      ? `${setup.relay}/?name=${name}`
      : roomUrl(setup.relay, setup.room, {
          name,
          ack: this.role.ack,
          layers: this.role.layered,
          audio: this.role.audio,
          e2ee: this.role.e2ee,
        });
    if (this.role.legacy && setup.room !== LEGACY_ROOM) {
      throw new Error(`old-protocol participants join ${LEGACY_ROOM} only`);
    }
    this.#socket = new WebSocket(url);
    this.#socket.binaryType = "arraybuffer";
    this.#socket.addEventListener("message", (event) => this.#onMessage(event.data));
    this.#socket.addEventListener("close", () => {
      if (!this.gone && this.leavingAt === Number.POSITIVE_INFINITY) {
        setup.tally.unexpectedCloses++;
      }
      this.gone = true;
    });
  }

  /** Resolves on the welcome (v1) or open (old protocol); rejects after 10 s. */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.setup.kind}: no welcome`)), 10_000);
      const done = () => {
        clearTimeout(timer);
        this.joinedAt = nowMs();
        this.setup.tally.joins++;
        if (this.role.layers === 2) {
          this.#socket.send(
            encodeLayersAnnounce([
              { width: 640, height: 480 },
              { width: 320, height: 240 },
            ]),
          );
        }
        if (this.role.publishes && this.role.audio) {
          this.#socket.send(JSON.stringify(audioTrackAnnouncement()));
        }
        resolve();
      };
      this.#socket.addEventListener("close", (event) =>
        reject(new Error(`${this.setup.kind}: closed ${event.code} ${event.reason}`)),
      );
      if (this.role.legacy) this.#socket.addEventListener("open", done, { once: true });
      else this.#welcomed = done;
    });
  }

  #welcomed: (() => void) | null = null;

  /** In the room and not about to leave at `at`: its receipts (and frames to it) count. */
  counted(at: number): boolean {
    return at >= this.joinedAt + JOIN_GRACE_MS && at <= this.leavingAt - LEAVE_GRACE_MS;
  }

  /** Whether this receiver should get `sender`'s frame captured at `at` (and it counts). */
  getsFrom(sender: SoakPeer, at: number): boolean {
    if (sender === this || this.gone || !this.counted(at)) return false;
    return !(this.role.legacy && sender.role.e2ee); // sealed frames never reach old clients
  }

  /**
   * One picture captured at `at` (the time its expected receivers were counted at, so both
   * land in the same second): every layer of it, stamped, sealed for a sealed sender.
   */
  sendFrame(at: number): void {
    if (this.gone || this.#socket.readyState !== WebSocket.OPEN) return;
    const seq = this.#seq++;
    writeStamp(this.#full, at, this.setup.index, seq);
    if (this.role.legacy) {
      this.#socket.send(Buffer.from(this.#full).toString("base64"));
      return;
    }
    const frames = [encodeVideoFrame(this.#full, at, seq, 0, 0)];
    if (this.role.layers === 2) {
      writeStamp(this.#small, at, this.setup.index, seq);
      frames.push(encodeVideoFrame(this.#small, at, seq, 0, 1));
    }
    for (const frame of frames) {
      const sealer = this.setup.sealer;
      if (sealer && this.role.e2ee) {
        void sealer.seal(frame).then((sealed) => {
          if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(sealed);
        });
      } else this.#socket.send(frame as Uint8Array<ArrayBuffer>);
    }
  }

  sendAudio(): void {
    if (this.gone || this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.send(encodeAudioPacket(OPUS, nowMs(), this.#audioSeq++));
  }

  /** Announces the leave (its window closes), then closes cleanly `afterMs` later. */
  leave(afterMs: number): Promise<void> {
    this.leavingAt = nowMs() + afterMs;
    return new Promise((resolve) => {
      setTimeout(() => {
        this.setup.tally.leaves++;
        if (this.#socket.readyState === WebSocket.CLOSED) {
          this.gone = true;
          resolve();
          return;
        }
        this.#socket.addEventListener("close", () => resolve(), { once: true });
        this.#socket.close(1000, "soak leave");
        this.gone = true;
      }, afterMs);
    });
  }

  #askSmall(peers: PeerInfo[]): void {
    for (const peer of peers) {
      if ((peer.layers?.length ?? 1) > 1) this.#socket.send(encodeLayerRequest(peer.id, 1));
    }
  }

  #onMessage(data: unknown): void {
    const receivedAt = nowMs();
    if (typeof data === "string") {
      if (isControlText(data)) {
        const control = parseControl(data);
        if (control?.type === "welcome") {
          this.#welcomed?.();
          if (this.role.asksSmall) this.#askSmall(control.peers);
        } else if (this.role.asksSmall && control?.type === "join") this.#askSmall([control.peer]);
        else if (this.role.asksSmall && control?.type === "layers") {
          this.#socket.send(encodeLayerRequest(control.id, 1));
        }
        return;
      }
      const stamp = readStampFromBase64(data);
      if (stamp) this.#count(stamp.publisher, stamp.seq, stamp.captureTimeMs, receivedAt);
      return;
    }
    if (!(data instanceof ArrayBuffer)) return;
    const frame = new Uint8Array(data);
    const kind = frame[1];
    if (kind !== FrameKind.VideoJpeg && kind !== FrameKind.VideoH264) return;
    if (this.role.ack && this.#socket.readyState === WebSocket.OPEN) {
      writeAckFor(this.#ack, frame);
      this.#socket.send(this.#ack);
    }
    if (isEncryptedFrame(frame)) {
      // Sealed: the header says who and when (the stamp is inside the ciphertext).
      const from = -readSenderId(frame);
      this.#count(from, readSequence(frame), readCaptureTime(frame), receivedAt);
      return;
    }
    const stamp = readStamp(frame.subarray(HEADER_BYTES));
    if (stamp) this.#count(stamp.publisher, stamp.seq, stamp.captureTimeMs, receivedAt);
  }

  #count(from: number, seq: number, capturedAt: number, receivedAt: number): void {
    if (this.#lastSeq.get(from) === seq) return;
    this.#lastSeq.set(from, seq);
    if (!this.counted(capturedAt)) return;
    this.setup.tally.receive(capturedAt, receivedAt - capturedAt);
  }
}
