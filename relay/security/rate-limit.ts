// Per-connection rate limits, checked before a message reaches the fan-out: token buckets for
// video frames, audio packets, bytes, acks (their own budget) and everything else ("control":
// JSON, malformed messages), kept as plain numbers on the peer, so a message costs a clock read
// and a few additions, no allocation.
// Excess is dropped and counted; a connection that keeps going far over its limits is closed.
import {
  assertNever,
  FrameKind,
  frameKind,
  HEADER_BYTES,
  PROTOCOL_VERSION,
  payloadBytes,
  readVersion,
} from "../../protocol/index.ts";
import { log } from "../log.ts";
import type { PeerSocket } from "../peer.ts";
import { Refusals, refusalMessage } from "../refusals.ts";
import { countRejected } from "../stats.ts";
import type { PeerGuard } from "./peer-guard.ts";
import { securityStats } from "./security-metrics.ts";

export interface RateLimits {
  maxFramesPerSecond: number;
  maxBytesPerSecond: number;
  maxControlPerSecond: number;
  /** Acks a receiver may send: every sender's frames at the frame limit (0 = off). */
  maxAcksPerSecond: number;
  /** Audio packets a sender may send (one 20 ms Opus stream is 50/s; 0 = off). */
  maxAudioPerSecond: number;
}

/** Each bucket holds this many seconds of its rate: room for a burst after a quiet moment. */
const BURST_SECONDS = 2;
/** Strikes leak at this rate, so being a little over a limit only ever costs drops... */
const STRIKE_LEAK_PER_SECOND = 100;
/** ...while a flood (hundreds of drops faster than they leak) closes the socket. */
const STRIKE_LIMIT = 1000;

/** Which budget a message is charged to. */
const MessageKind = {
  Frame: 0,
  Ack: 1,
  /** JSON and anything malformed. */ Control: 2,
  Audio: 3,
} as const;
type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** The budget of a binary message: well-formed frames and acks have their own, the rest is control. */
function budgetOf(message: Uint8Array): MessageKind {
  if (message.byteLength < HEADER_BYTES || readVersion(message) !== PROTOCOL_VERSION) {
    return MessageKind.Control;
  }
  const kind = frameKind(message);
  switch (kind) {
    case FrameKind.VideoJpeg:
    case FrameKind.VideoH264:
      return payloadBytes(message) > 0 ? MessageKind.Frame : MessageKind.Control;
    case FrameKind.Ack:
      return message.byteLength === HEADER_BYTES ? MessageKind.Ack : MessageKind.Control;
    case FrameKind.Audio:
      return payloadBytes(message) > 0 ? MessageKind.Audio : MessageKind.Control;
    case null:
      return MessageKind.Control;
    default:
      return assertNever(kind);
  }
}

export interface InboundGate {
  /** True when the fan-out should handle this binary message. */
  binary(ws: PeerSocket, message: Buffer): boolean;
  /** True when the fan-out should handle this text message. */
  text(ws: PeerSocket, text: string): boolean;
}

/** `maxMessageBytes`: the byte bucket always holds at least one largest-allowed message. */
export function createInboundGate(limits: RateLimits, maxMessageBytes: number): InboundGate {
  // A limit of 0 is "off": rate 0 and capacity Infinity keep the bucket at Infinity forever.
  const capacity = (rate: number, floor = 0) =>
    rate === 0 ? Number.POSITIVE_INFINITY : Math.max(rate * BURST_SECONDS, floor);
  const frameCap = capacity(limits.maxFramesPerSecond);
  const byteCap = capacity(limits.maxBytesPerSecond, maxMessageBytes);
  const controlCap = capacity(limits.maxControlPerSecond);
  const ackCap = capacity(limits.maxAcksPerSecond);
  const audioCap = capacity(limits.maxAudioPerSecond);
  const audioRate = limits.maxAudioPerSecond / 1000;
  const frameRate = limits.maxFramesPerSecond / 1000;
  const byteRate = limits.maxBytesPerSecond / 1000;
  const controlRate = limits.maxControlPerSecond / 1000;
  const ackRate = limits.maxAcksPerSecond / 1000;
  const strikeLeak = STRIKE_LEAK_PER_SECOND / 1000;

  function refill(guard: PeerGuard, now: number): void {
    const elapsed = now - guard.refilledAt;
    guard.refilledAt = now;
    guard.frameTokens = Math.min(frameCap, guard.frameTokens + elapsed * frameRate);
    guard.byteTokens = Math.min(byteCap, guard.byteTokens + elapsed * byteRate);
    guard.controlTokens = Math.min(controlCap, guard.controlTokens + elapsed * controlRate);
    guard.ackTokens = Math.min(ackCap, guard.ackTokens + elapsed * ackRate);
    guard.audioTokens = Math.min(audioCap, guard.audioTokens + elapsed * audioRate);
    if (guard.strikes > 0) guard.strikes = Math.max(0, guard.strikes - elapsed * strikeLeak);
  }

  /** Charges one message; false (and counted) when a bucket is short. */
  function admit(ws: PeerSocket, bytes: number, kind: MessageKind): boolean {
    const guard = ws.data;
    refill(guard, performance.now());
    if (guard.byteTokens < bytes) return limited(ws, "rate_limited_bytes");
    const isFrame = kind === MessageKind.Frame;
    if (isFrame) {
      if (guard.frameTokens < 1) return limited(ws, "rate_limited_frames");
      guard.frameTokens--;
    } else if (kind === MessageKind.Ack) {
      if (guard.ackTokens < 1) return limited(ws, "rate_limited_acks");
      guard.ackTokens--;
    } else if (kind === MessageKind.Audio) {
      if (guard.audioTokens < 1) return limited(ws, "rate_limited_audio");
      guard.audioTokens--;
    } else {
      if (guard.controlTokens < 1) return limited(ws, "rate_limited_control");
      guard.controlTokens--;
    }
    guard.byteTokens -= bytes;
    if ((isFrame || kind === MessageKind.Audio) && !guard.canPublish) return viewOnly(ws);
    return true;
  }

  return {
    binary(ws, message) {
      return admit(ws, message.byteLength, budgetOf(message));
    },
    text(ws, text) {
      // On the legacy protocol every text message is a frame; on v1 text is control (or garbage).
      return admit(ws, text.length, ws.data.legacy ? MessageKind.Frame : MessageKind.Control);
    },
  };
}

function limited(ws: PeerSocket, reason: string): false {
  const guard = ws.data;
  guard.limited++;
  countRejected(reason);
  if (guard.strikes === 0 && !guard.legacy) {
    // One notice per episode: replying to every dropped message would amplify a flood.
    ws.send(refusalMessage(Refusals.rateLimited));
  }
  guard.strikes++;
  if (guard.strikes > STRIKE_LIMIT && ws.readyState === WebSocket.OPEN) {
    securityStats.rateLimitCloses++;
    log("warn", "rate_limit_close", {
      room: guard.roomName,
      id: guard.id,
      name: guard.name,
      dropped: guard.limited,
    });
    ws.close(Refusals.rateLimitClose.close, Refusals.rateLimitClose.message);
  }
  return false;
}

function viewOnly(ws: PeerSocket): false {
  const guard = ws.data;
  guard.viewOnlyDropped++;
  countRejected("view_only");
  if (guard.viewOnlyDropped === 1 && !guard.legacy) {
    ws.send(refusalMessage(Refusals.viewOnly));
  }
  return false;
}
