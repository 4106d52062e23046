// The hot path: validate a frame, stamp its sender, publish it once per wire format.
// Bun/uWS copies the bytes into each receiver's socket natively; JS never loops over receivers
// unless a publish reports a drop, and never copies or re-encodes per receiver.
import type { Server } from "bun";
import {
  type ErrorCode,
  encodeControl,
  FrameKind,
  type FrameProblem,
  HEADER_BYTES,
  isControlText,
  readSenderId,
  stampSenderId,
  validateFrame,
  writeHeader,
} from "../../protocol/index.ts";
import { AckPacing } from "./ack-pacing.ts";
import type { Cluster } from "../cluster/cluster.ts";
import { countRejected, stats } from "../metrics.ts";
import type { PeerSocket, Room } from "../rooms.ts";

export interface FanoutLimits {
  maxFrameBytes: number;
  backpressureLimitBytes: number;
  ackWindow: number;
}

const PROBLEM_CODES: Record<FrameProblem, ErrorCode> = {
  too_short: "frame_too_short",
  bad_version: "frame_bad_version",
  bad_kind: "frame_bad_kind",
  empty_payload: "frame_empty",
  too_large: "frame_too_large",
};

const PROBLEM_TEXT: Record<FrameProblem, string> = {
  too_short: `binary messages must hold a ${HEADER_BYTES}-byte header and a JPEG`,
  bad_version: "unsupported protocol version (expected 1)",
  bad_kind: "unsupported frame kind (expected 1, video/jpeg)",
  empty_payload: "frame has no JPEG payload",
  too_large: "frame is larger than the relay's maxFrameBytes",
};

// Base64 of a JPEG always starts with "/9j/" (the bytes FF D8 FF).
const JPEG_BASE64_PREFIX = "/9j/";

/** Tells a new-protocol peer why its message was refused; old-protocol peers only get counted. */
function refuse(ws: PeerSocket, code: ErrorCode, message: string): void {
  ws.data.rejected++;
  countRejected(code);
  if (!ws.data.legacy) ws.send(encodeControl({ type: "error", code, message }));
}

export class Fanout {
  /** Delivery to receivers that ack (?ack=1): per-sender topics instead of the room topic. */
  readonly pacing: AckPacing;

  constructor(
    private readonly server: Server<unknown>,
    private readonly limits: FanoutLimits,
    private readonly cluster: Cluster | null = null,
  ) {
    this.pacing = new AckPacing(server, limits);
  }

  /** A binary message from a new-protocol peer. */
  onBinary(ws: PeerSocket, message: Buffer): void {
    const room = ws.data.room;
    if (!room) return;
    if (message[1] === FrameKind.Ack) {
      this.onAck(ws, message);
      return;
    }
    const problem = validateFrame(message, this.limits.maxFrameBytes);
    if (problem !== null) {
      refuse(ws, PROBLEM_CODES[problem], PROBLEM_TEXT[problem]);
      return;
    }
    stampSenderId(message, ws.data.id);
    stats.framesIn++;
    stats.bytesIn += message.byteLength;
    // Acking receivers get it on the sender's own topic (or are held back); the rest on the room's.
    const binaryReceivers = room.binaryPeers - 1 - this.pacing.onFrame(room, ws, message);
    if (binaryReceivers > 0) {
      const status = ws.publish(room.binaryTopic, message);
      this.account(room, ws, false, binaryReceivers, message.byteLength, status);
    }
    if (room.legacyPeers > 0) {
      // One conversion for all old-protocol receivers, straight from the received bytes.
      const text = message.toString("base64", HEADER_BYTES);
      stats.conversionsToText++;
      const status = this.server.publish(room.textTopic, text);
      this.account(room, ws, true, room.legacyPeers, text.length, status);
    }
    // Other relays with participants here get it once, through Redis; otherwise a number check.
    if (room.remoteNodes > 0) this.cluster?.publishFrame(room, message);
  }

  /** A frame stamped by another relay (relay/cluster/): every local receiver, converted once. */
  onRemoteFrame(room: Room, message: Buffer): void {
    const paced = this.pacing.onFrameFrom(room, readSenderId(message), null, message);
    const binaryReceivers = room.binaryPeers - paced;
    if (binaryReceivers > 0) {
      const status = this.server.publish(room.binaryTopic, message);
      this.account(room, null, false, binaryReceivers, message.byteLength, status);
    }
    if (room.legacyPeers > 0) {
      const text = message.toString("base64", HEADER_BYTES);
      stats.conversionsToText++;
      const status = this.server.publish(room.textTopic, text);
      this.account(room, null, true, room.legacyPeers, text.length, status);
    }
  }

  /** A text message: JSON control from new peers, a base64 JPEG from old ones. */
  onText(ws: PeerSocket, text: string): void {
    const room = ws.data.room;
    if (!room) return;
    if (isControlText(text)) {
      // Protocol v1 defines no client → relay control messages yet.
      refuse(ws, "bad_control", "the relay accepts no control messages in protocol v1");
      return;
    }
    if (!ws.data.legacy) {
      refuse(
        ws,
        "bad_text",
        "text frames are for the old protocol at path /; send binary frames here",
      );
      return;
    }
    const jpegBytes = base64DecodedLength(text);
    if (jpegBytes < 0 || !text.startsWith(JPEG_BASE64_PREFIX)) {
      refuse(ws, "bad_text", "expected the base64 text of a JPEG");
      return;
    }
    if (jpegBytes > this.limits.maxFrameBytes) {
      refuse(ws, "frame_too_large", PROBLEM_TEXT.too_large);
      return;
    }
    // Decode only when someone needs the binary form (v1 receivers here or another relay):
    // once, straight into a buffer with room for the header, which also proves the text is
    // base64. Rooms of old-protocol peers only get the cheap checks above (the original relay
    // checked nothing): decoding every frame just to validate it cost +40% relay CPU in
    // `bun bench --scenario base64`.
    const needsBinary = room.binaryPeers > 0 || room.remoteNodes > 0;
    const binary = needsBinary ? Buffer.allocUnsafe(HEADER_BYTES + jpegBytes) : null;
    if (binary && binary.write(text, HEADER_BYTES, jpegBytes, "base64") !== jpegBytes) {
      refuse(ws, "bad_text", "expected the base64 text of a JPEG");
      return;
    }
    stats.framesIn++;
    stats.bytesIn += text.length;
    const legacyReceivers = room.legacyPeers - 1;
    if (legacyReceivers > 0) {
      const status = ws.publish(room.textTopic, text);
      this.account(room, ws, true, legacyReceivers, text.length, status);
    }
    // Other relays get the binary form (converted here once; they make their own base64).
    if (binary) {
      writeHeader(binary, {
        kind: FrameKind.VideoJpeg,
        flags: 0,
        senderId: ws.data.id,
        captureTimeMs: performance.timeOrigin + performance.now(),
        sequence: ws.data.legacySequence++,
      });
      stats.conversionsToBinary++;
      const binaryReceivers = room.binaryPeers - this.pacing.onFrame(room, ws, binary);
      if (binaryReceivers > 0) {
        const status = this.server.publish(room.binaryTopic, binary);
        this.account(room, ws, false, binaryReceivers, binary.byteLength, status);
      }
      if (room.remoteNodes > 0) this.cluster?.publishFrame(room, binary);
    }
  }

  /** An ack (kind 2): paces this receiver's delivery, never forwarded. */
  private onAck(ws: PeerSocket, message: Buffer): void {
    const problem = this.pacing.onAck(ws, message);
    if (problem === "malformed") {
      refuse(ws, "bad_ack", "an ack is exactly a 20-byte header: version 1, kind 2, flags 0");
    } else if (problem === "not_enabled") {
      refuse(ws, "bad_ack", "send acks only after joining with ?ack=1");
    }
  }

  /**
   * Counts deliveries. Bun reports one status for the whole publish (the worst over receivers);
   * only when it signals trouble do we look at each receiver, charging a drop to those whose
   * buffer is over the limit, since uWS skips exactly those.
   */
  private account(
    room: Room,
    sender: PeerSocket | null,
    toLegacy: boolean,
    receivers: number,
    bytes: number,
    status: number,
  ): void {
    let dropped = 0;
    if (status <= 0) {
      for (const peer of room.peers.values()) {
        // Acking receivers are not on the room topics; relay/delivery/paced-sender.ts counts their drops.
        if (peer === sender || peer.data.legacy !== toLegacy || peer.data.acks) continue;
        if (peer.getBufferedAmount() > this.limits.backpressureLimitBytes) {
          peer.data.framesDropped++;
          dropped++;
        }
      }
    }
    stats.framesDropped += dropped;
    stats.framesOut += receivers - dropped;
    stats.bytesOut += (receivers - dropped) * bytes;
  }
}

/** Bytes a padded base64 string decodes to, or -1 if its length can't be base64. */
export function base64DecodedLength(text: string): number {
  const length = text.length;
  if (length === 0 || length % 4 !== 0) return -1;
  let padding = 0;
  if (text.charCodeAt(length - 1) === 0x3d) padding++;
  if (text.charCodeAt(length - 2) === 0x3d) padding++;
  return (length / 4) * 3 - padding;
}
