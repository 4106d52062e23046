// Chat, raised hands, host controls (moderation) and recording announcements: the JSON control
// messages of docs/PROTOCOL.md "Chat, hands and host controls". control.ts names them in its
// unions and parsers; their shapes and checks live here.
import type { PeerInfo } from "./control.ts";

/** Longest chat text, in characters (code points). */
export const MAX_CHAT_CHARS = 2000;
/**
 * Longest sealed chat payload (base64): 2,000 characters are at most 8,000 UTF-8 bytes, plus a
 * 12-byte nonce and a 16-byte tag, as base64 (client-core/chat-seal.ts).
 */
export const MAX_SEALED_CHAT_CHARS = Math.ceil((8000 + 12 + 16) / 3) * 4;
/** Chat messages a relay keeps per room (in memory only) and replays to whoever joins. */
export const CHAT_HISTORY_SIZE = 200;
/** ...and at most this many characters of text or sealed payload in all (memory per room). */
export const CHAT_HISTORY_CHARS = 512 * 1024;

/** The media a moderator can stop and allow again (the relay then drops it). */
export type MediaKind = "camera" | "sound" | "screen";
export const MEDIA_KINDS: readonly MediaKind[] = ["camera", "sound", "screen"];

/**
 * What a moderator can do. mute: ask the target to mute (advisory); stop/allow: `media` of the
 * target is dropped by the relay, or no longer; remove: the target's socket closes (4010) and its
 * token is denied until it expires; lock/unlock: no new joins but moderators; lower_hands: every
 * raised hand goes down; end: every socket of the room closes (4011).
 */
export type ModerationAction =
  | "mute"
  | "stop"
  | "allow"
  | "remove"
  | "lock"
  | "unlock"
  | "lower_hands"
  | "end";
const ACTIONS: readonly ModerationAction[] = [
  "mute",
  "stop",
  "allow",
  "remove",
  "lock",
  "unlock",
  "lower_hands",
  "end",
];
/** The actions that name a participant (`target`); stop and allow also name `media`. */
export const TARGETED_ACTIONS: readonly ModerationAction[] = ["mute", "stop", "allow", "remove"];

/** Client → relay: one chat message, plain `text` or, in an encrypted room, `sealed` (base64). */
export interface ChatSend {
  type: "chat";
  text?: string;
  sealed?: string;
}

/** Client → relay: raise or lower your hand. */
export interface HandSend {
  type: "hand";
  raised: boolean;
}

/** Client → relay: a moderator's action (refused with `not_moderator` without the permission). */
export interface ModerateSend {
  type: "moderate";
  action: ModerationAction;
  target?: number;
  media?: MediaKind;
}

/** Client → relay: you started (or stopped) recording the room; presence says `recording`. */
export interface RecordingSend {
  type: "recording";
  active: boolean;
}

/** Relay → clients: a chat message stamped by the relay with its sender's id, name and time. */
export interface ChatMessage {
  type: "chat";
  from: number;
  name: string;
  /** Milliseconds since the Unix epoch, the relay's clock. */
  time: number;
  text?: string;
  sealed?: string;
  /** Replayed from the room's history to a newcomer, right after its welcome. */
  history?: true;
}

/** Relay → clients: a participant's presence entry changed (hand, recording, stopped media). */
export interface PeerUpdateMessage {
  type: "peer_update";
  peer: PeerInfo;
}

/**
 * Relay → clients: a moderator acted. To the target for mute, stop and allow (its page mutes or
 * says why its camera went); to everyone for lock, unlock and lower_hands.
 */
export interface ModerationNotice {
  type: "moderation";
  action: ModerationAction;
  target?: number;
  media?: MediaKind;
  /** The moderator's name ("admin" for the admin HTTP API). */
  by: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Characters (code points) in `text`, counting no further than `limit + 1`. */
export function chatLength(text: string, limit = MAX_CHAT_CHARS): number {
  if (text.length <= limit) return text.length;
  let count = 0;
  for (const _ of text) if (++count > limit) break;
  return count;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why a chat message is refused, or null when it is fine. */
export type ChatProblem = "empty" | "too_long" | "bad_sealed" | "both";

export function chatProblem(message: ChatSend): ChatProblem | null {
  if (message.text !== undefined && message.sealed !== undefined) return "both";
  if (message.sealed !== undefined) {
    if (message.sealed.length > MAX_SEALED_CHAT_CHARS) return "too_long";
    return message.sealed.length >= 40 && BASE64.test(message.sealed) ? null : "bad_sealed";
  }
  const text = message.text ?? "";
  if (text.trim() === "") return "empty";
  return chatLength(text) > MAX_CHAT_CHARS ? "too_long" : null;
}

function isPeerId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) <= 0xffffffff;
}

function isMedia(value: unknown): value is MediaKind {
  return MEDIA_KINDS.includes(value as MediaKind);
}

/** Client → relay: chat, hand, moderate or recording; null when malformed. */
export function readRoomControl(
  value: Record<string, unknown>,
): ChatSend | HandSend | ModerateSend | RecordingSend | null {
  switch (value.type) {
    case "chat": {
      const { text, sealed } = value;
      if (text !== undefined && typeof text !== "string") return null;
      if (sealed !== undefined && typeof sealed !== "string") return null;
      if (text === undefined && sealed === undefined) return null;
      const message: ChatSend = { type: "chat" };
      // Both given: kept, so the relay refuses it (chatProblem says "both") rather than guess.
      if (text !== undefined) message.text = text;
      if (sealed !== undefined) message.sealed = sealed;
      return message;
    }
    case "hand":
      return typeof value.raised === "boolean" ? { type: "hand", raised: value.raised } : null;
    case "recording":
      return typeof value.active === "boolean" ? { type: "recording", active: value.active } : null;
    case "moderate": {
      const action = value.action as ModerationAction;
      if (!ACTIONS.includes(action)) return null;
      const message: ModerateSend = { type: "moderate", action };
      if (TARGETED_ACTIONS.includes(action)) {
        if (!isPeerId(value.target)) return null;
        message.target = value.target;
      }
      if (action === "stop" || action === "allow") {
        if (!isMedia(value.media)) return null;
        message.media = value.media;
      }
      return message;
    }
    default:
      return null;
  }
}

/** Relay → client: chat, peer_update or moderation; null when malformed. */
export function readRoomNotice(
  value: Record<string, unknown>,
  isPeer: (value: unknown) => boolean,
): ChatMessage | PeerUpdateMessage | ModerationNotice | null {
  switch (value.type) {
    case "chat":
      return isPeerId(value.from) &&
        typeof value.name === "string" &&
        typeof value.time === "number" &&
        (typeof value.text === "string" || typeof value.sealed === "string")
        ? (value as unknown as ChatMessage)
        : null;
    case "peer_update":
      return isPeer(value.peer) ? (value as unknown as PeerUpdateMessage) : null;
    case "moderation":
      return ACTIONS.includes(value.action as ModerationAction) && typeof value.by === "string"
        ? (value as unknown as ModerationNotice)
        : null;
    default:
      return null;
  }
}

/** Encoders clients use (JSON text, as every control message). */
export function encodeChat(content: { text: string } | { sealed: string }): string {
  return JSON.stringify({ type: "chat", ...content });
}

export function encodeHand(raised: boolean): string {
  return JSON.stringify({ type: "hand", raised });
}

export function encodeRecording(active: boolean): string {
  return JSON.stringify({ type: "recording", active });
}

export function encodeModerate(
  action: ModerationAction,
  target?: number,
  media?: MediaKind,
): string {
  return JSON.stringify({ type: "moderate", action, target, media });
}

/** Exposed for the relay's cluster events, which carry the same checks. */
export const roomControlChecks = { isPeerId, isMedia, isRecord };
