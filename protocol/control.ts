// JSON control messages of wire protocol v1: text WebSocket messages that start with "{".

import {
  type AudioTrackAnnouncement,
  type AudioTrackMessage,
  parseAudioTrackMessage,
  readAudioTrackAnnouncement,
} from "./audio.ts";
import {
  isLayerId,
  type LayerRequest,
  type LayerSize,
  type LayersAnnounce,
  type LayersMessage,
  validLayerList,
} from "./layers.ts";
import {
  type ChatMessage,
  type ChatSend,
  type HandSend,
  type MediaKind,
  type ModerateSend,
  type ModerationNotice,
  type PeerUpdateMessage,
  type RecordingSend,
  readRoomControl,
  readRoomNotice,
} from "./room-control.ts";

export interface PeerInfo {
  id: number;
  name: string;
  /** True for a participant on the old base64-text protocol (path "/"). */
  legacy: boolean;
  /** The layers this participant sends (protocol/layers.ts), once it announced them. */
  layers?: LayerSize[];
  /**
   * True when the participant joined with `?e2ee=1`: its frames are end-to-end encrypted, and
   * only holders of the room key can see them. Absent from relays that predate it.
   */
  e2ee?: boolean;
  /**
   * True when the participant joined with `codecs=h264` (it decodes H.264). Other relays read it
   * from the roster to tell senders which codecs are needed (codecs_needed).
   */
  h264?: boolean;
  /**
   * True when the participant joined with a view-only token: it sends nothing, so clients list
   * it as a viewer rather than waiting for its picture. Absent from relays that predate it.
   */
  viewOnly?: boolean;
  /** When its hand went up (ms, relay clock): hands are ordered by it. Absent: hand down. */
  hand?: number;
  /** True while it records the room (a CLI with --record said so). */
  recording?: boolean;
  /** True when its join token carries the `moderate` permission. */
  moderator?: boolean;
  /** Media a moderator stopped: the relay drops it until a moderator allows it again. */
  stopped?: MediaKind[];
  /**
   * "screen" when this entry is a participant's screen share (docs/PROTOCOL.md, Screen sharing):
   * a second source of participant `owner`, named like it. Sent only to receivers that joined
   * with `shares=1`; absent (a camera) otherwise.
   */
  source?: "screen";
  /** With `source: "screen"`: the id of the participant who shares. */
  owner?: number;
}

export interface RelayLimits {
  /** Largest JPEG payload accepted, in bytes (the 20-byte header not included). */
  maxFrameBytes: number;
  /** Largest WebSocket message accepted before the relay closes with 1009. */
  maxMessageBytes: number;
  maxPeersPerRoom: number;
  /** Seconds without any traffic (pongs included) before the relay drops a connection. */
  idleTimeoutSeconds: number;
}

export interface WelcomeMessage {
  type: "welcome";
  protocol: number;
  id: number;
  name: string;
  room: string;
  peers: PeerInfo[];
  limits: RelayLimits;
  /**
   * Present when you joined with `?ack=1` and the relay paces your delivery: how many frames per
   * sender it keeps in flight before it waits for your ack. Without it, send no acks.
   */
  ackWindow?: number;
  /**
   * Present (true) when you joined with `?ack=1&layers=1`: the relay sends you whichever layer of
   * each sender you ask for and your link takes. Without it you get full-size frames only.
   */
  layers?: boolean;
  /**
   * Present (true) when your join token is view-only: the relay drops whatever you send, so
   * send nothing (and offer nothing to send). Absent from relays that predate it.
   */
  viewOnly?: boolean;
  /**
   * Host controls in this room: "off" on a relay without join tokens (nobody moderates),
   * "member" without the `moderate` permission, "moderator" with it. Absent from older relays.
   */
  moderation?: "off" | "member" | "moderator";
  /** True when a moderator has locked the room (only moderators may join). */
  locked?: boolean;
  /**
   * Present when you joined with `shares=1` and may publish: the secret a second connection of
   * yours presents (`source=screen&owner=ID&share=KEY`) to share your screen. Nobody else sees it.
   */
  shareKey?: string;
}

export interface JoinMessage {
  type: "join";
  peer: PeerInfo;
}

export interface LeaveMessage {
  type: "leave";
  id: number;
}

export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  message: string;
}

/**
 * Relay → sender: receivers of your `layer` are waiting for a key frame of it (they missed a frame
 * of your H.264 stream, joined late, or switched layers). At most one per layer per 500 ms.
 */
export interface KeyframeRequestMessage {
  type: "keyframe_request";
  layer: number;
  /** Why the first waiting receiver waits. */
  reason: KeyframeReason;
}

export type KeyframeReason = "joined" | "missed" | "layer_switch";

/**
 * Relay → sender, on join and whenever it changes: which codecs the receivers of your video need.
 * `jpeg` true: someone can't decode H.264 (old protocol, or no `codecs=h264`), so keep a JPEG
 * stream; `h264` true: someone can, so an H.264 stream reaches them.
 */
export interface CodecsNeededMessage {
  type: "codecs_needed";
  jpeg: boolean;
  h264: boolean;
}

export type ControlMessage =
  | KeyframeRequestMessage
  | CodecsNeededMessage
  | WelcomeMessage
  | JoinMessage
  | LeaveMessage
  | ErrorMessage
  | LayersMessage
  | AudioTrackMessage
  | ChatMessage
  | PeerUpdateMessage
  | ModerationNotice;

/** Machine-readable error codes carried by `error` messages. */
export type ErrorCode =
  | "frame_too_short"
  | "frame_bad_version"
  | "frame_bad_kind"
  | "frame_bad_flags"
  | "frame_empty"
  | "frame_too_large"
  | "bad_text"
  | "bad_control"
  | "room_full"
  | "too_many_rooms"
  | "shutting_down"
  | "bad_ack"
  | "rate_limited"
  | "view_only"
  | "bad_chat"
  | "not_moderator"
  | "bad_target"
  | "removed"
  | "room_locked"
  | "call_ended"
  | "share_refused";

/** WebSocket close codes the relay uses (4000-4999 is the application range). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** Sent by the WebSocket layer itself when a message exceeds maxMessageBytes. */
  MessageTooBig: 1009,
  RoomFull: 4001,
  TooManyRooms: 4002,
  /** Far over the per-connection rate limits for too long (mirrors HTTP 429). */
  RateLimited: 4029,
  /** A moderator removed you; your token is refused in this room until it expires. */
  Removed: 4010,
  /** A moderator ended the call for everyone. */
  CallEnded: 4011,
  /** The room was locked by a moderator (only moderators may join). */
  RoomLocked: 4012,
  /** A screen share's join named no owner here, or the wrong share key (docs/PROTOCOL.md). */
  ShareRefused: 4040,
  /** The screen share's owner left (or started another share): the share ends with it. */
  ShareEnded: 4041,
} as const;

export function encodeControl(message: ControlMessage): string {
  return JSON.stringify(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPeer(value: unknown): value is PeerInfo {
  return (
    isRecord(value) &&
    typeof value.id === "number" &&
    typeof value.name === "string" &&
    typeof value.legacy === "boolean"
  );
}

/** A JSON object, or null for anything else (bad JSON, an array, a number...). */
function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** Parses a relay → client control message; null when the text is not one we understand. */
export function parseControl(text: string): ControlMessage | null {
  const value = parseJsonObject(text);
  if (value === null) return null;
  switch (value.type) {
    case "welcome":
      return typeof value.id === "number" &&
        typeof value.room === "string" &&
        Array.isArray(value.peers) &&
        value.peers.every(isPeer) &&
        isRecord(value.limits)
        ? (value as unknown as WelcomeMessage)
        : null;
    case "join":
      return isPeer(value.peer) ? (value as unknown as JoinMessage) : null;
    case "leave":
      return typeof value.id === "number" ? (value as unknown as LeaveMessage) : null;
    case "error":
      return typeof value.code === "string" && typeof value.message === "string"
        ? (value as unknown as ErrorMessage)
        : null;
    case "layers": {
      const layers = validLayerList(value.layers);
      return typeof value.id === "number" && layers
        ? { type: "layers", id: value.id, layers }
        : null;
    }
    case "audio_track":
      return parseAudioTrackMessage(value);
    case "keyframe_request":
      return isLayerId(value.layer) && typeof value.reason === "string"
        ? (value as unknown as KeyframeRequestMessage)
        : null;
    case "codecs_needed":
      return typeof value.jpeg === "boolean" && typeof value.h264 === "boolean"
        ? { type: "codecs_needed", jpeg: value.jpeg, h264: value.h264 }
        : null;
    case "chat":
    case "peer_update":
    case "moderation":
      return readRoomNotice(value, isPeer);
    default:
      return null;
  }
}

/** Text messages starting with "{" are control messages; any other text is a legacy base64 frame. */
export function isControlText(text: string): boolean {
  return text.charCodeAt(0) === 0x7b;
}

/**
 * Client → relay control messages: each is a member of this union, a case in parseClientControl,
 * and a case in the relay's dispatch (relay/delivery/fanout.ts).
 */
export type ClientControlMessage =
  | LayersAnnounce
  | LayerRequest
  | AudioTrackAnnouncement
  | ChatSend
  | HandSend
  | ModerateSend
  | RecordingSend;

/** Parses a client → relay control message; null when it is not one the relay handles. */
export function parseClientControl(text: string): ClientControlMessage | null {
  const value = parseJsonObject(text);
  if (value === null) return null;
  switch (value.type) {
    case "layers": {
      const layers = validLayerList(value.layers);
      return layers ? { type: "layers", layers } : null;
    }
    case "layer_request":
      return typeof value.sender === "number" &&
        Number.isInteger(value.sender) &&
        value.sender > 0 &&
        value.sender <= 0xffffffff &&
        isLayerId(value.layer)
        ? { type: "layer_request", sender: value.sender, layer: value.layer }
        : null;
    case "audio_track":
      return readAudioTrackAnnouncement(value);
    case "chat":
    case "hand":
    case "moderate":
    case "recording":
      return readRoomControl(value);
    default:
      return null;
  }
}
