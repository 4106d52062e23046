// Every reason the relay refuses a message or a participant, each beside its error code and, when
// it ends the connection, its close code: defined once here (as centrifuge's disconnect.go does),
// so a new reason is one entry and the texts participants read live in one place.
import {
  CloseCode,
  type ErrorCode,
  encodeControl,
  type FrameProblem,
  HEADER_BYTES,
} from "../protocol/index.ts";
import type { PeerSocket } from "./peer.ts";
import { countRejected } from "./stats.ts";

export interface Refusal {
  readonly code: ErrorCode;
  /** What the participant reads (the `error` message's text, and the close reason). */
  readonly message: string;
  /** Set when the refusal ends the connection. */
  readonly close?: number;
}

export const Refusals = {
  roomFull: { code: "room_full", message: "room is full", close: CloseCode.RoomFull },
  tooManyRooms: {
    code: "too_many_rooms",
    message: "relay has reached its room limit",
    close: CloseCode.TooManyRooms,
  },
  shuttingDown: {
    code: "shutting_down",
    message: "relay shutting down",
    close: CloseCode.GoingAway,
  },
  rateLimited: {
    code: "rate_limited",
    message: "over the relay's rate limit: messages are being dropped",
  },
  rateLimitClose: {
    code: "rate_limited",
    message: "rate limit exceeded",
    close: CloseCode.RateLimited,
  },
  viewOnly: {
    code: "view_only",
    message: "your join token does not allow publishing: frames are dropped",
  },
  ackMalformed: {
    code: "bad_ack",
    message: "an ack is exactly a 20-byte header: version 1, kind 2, flags 0",
  },
  ackNotEnabled: { code: "bad_ack", message: "send acks only after joining with ?ack=1" },
  controlUnknown: {
    code: "bad_control",
    message: "unknown or malformed control message (see docs/PROTOCOL.md for the types)",
  },
  layersNotEnabled: {
    code: "bad_control",
    message: "layer_request needs a join with ?ack=1&layers=1",
  },
  layerRequestsTooMany: {
    code: "bad_control",
    message: "too many layer requests for senders not in the room",
  },
  textOnV1: {
    code: "bad_text",
    message: "text frames are for the old protocol at path /; send binary frames here",
  },
  legacyNotJpeg: { code: "bad_text", message: "expected the base64 text of a JPEG" },
  frameTooShort: {
    code: "frame_too_short",
    message: `binary messages must hold a ${HEADER_BYTES}-byte header and a payload`,
  },
  frameBadVersion: {
    code: "frame_bad_version",
    message: "unsupported protocol version (expected 1)",
  },
  frameBadKind: { code: "frame_bad_kind", message: "unsupported frame kind" },
  frameBadFlags: {
    code: "frame_bad_flags",
    message: "the frame sets header flags that are reserved for its kind",
  },
  shareRefused: {
    code: "share_refused",
    message:
      "screen share refused: owner is not a participant here that may publish, or the share key is wrong",
    close: CloseCode.ShareRefused,
  },
  shareBadSource: {
    code: "share_refused",
    message: "source= must be camera, or screen with owner=ID and share=KEY (from your welcome)",
    close: CloseCode.ShareRefused,
  },
  shareSendsVideoOnly: {
    code: "bad_control",
    message: "a screen share connection sends video (and its layers) only",
  },
  frameEmpty: { code: "frame_empty", message: "frame has no payload" },
  frameTooLarge: {
    code: "frame_too_large",
    message: "frame is larger than the relay's maxFrameBytes",
  },
  chatTooLong: { code: "bad_chat", message: "chat messages are at most 2000 characters" },
  chatEmpty: { code: "bad_chat", message: "chat message is empty" },
  chatBadSealed: {
    code: "bad_chat",
    message: "a chat message has either text or sealed (base64 of nonce, ciphertext and tag)",
  },
  notModerator: {
    code: "not_moderator",
    message: "your join token does not carry the moderate permission: nothing was done",
  },
  badTarget: { code: "bad_target", message: "no participant with that id in this room" },
  removed: {
    code: "removed",
    message: "a moderator removed you from this room",
    close: CloseCode.Removed,
  },
  callEnded: {
    code: "call_ended",
    message: "a moderator ended the call for everyone",
    close: CloseCode.CallEnded,
  },
  roomLocked: {
    code: "room_locked",
    message: "the room is locked by a moderator: only moderators may join",
    close: CloseCode.RoomLocked,
  },
} as const satisfies Record<string, Refusal>;

/** The refusal for each way a frame can be malformed (protocol/frame.ts, validateFrame). */
export const FRAME_REFUSALS: Record<FrameProblem, Refusal> = {
  too_short: Refusals.frameTooShort,
  bad_version: Refusals.frameBadVersion,
  bad_kind: Refusals.frameBadKind,
  bad_flags: Refusals.frameBadFlags,
  empty_payload: Refusals.frameEmpty,
  too_large: Refusals.frameTooLarge,
};

/** The `error` control message of a refusal. */
export function refusalMessage(refusal: Refusal): string {
  return encodeControl({ type: "error", code: refusal.code, message: refusal.message });
}

/**
 * Refuses one message: counted on the peer and in /metrics; a v1 peer is told why (legacy
 * peers can't read JSON). The connection stays.
 */
export function refuseMessage(ws: PeerSocket, refusal: Refusal): void {
  ws.data.rejected++;
  countRejected(refusal.code);
  if (!ws.data.legacy) ws.send(refusalMessage(refusal));
}

/** Ends a connection for `refusal`: a v1 peer reads why first, then the close code says it too. */
export function closeWith(ws: PeerSocket, refusal: Refusal & { close: number }): void {
  if (!ws.data.legacy) ws.send(refusalMessage(refusal));
  ws.close(refusal.close, refusal.message);
}
