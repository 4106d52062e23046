// Room events: what one relay tells the others about a room beside its roster (relay/cluster/):
// a chat message (stamped by the sender's relay), an action on one participant (for the relay it
// is on), and room-wide actions. Checked on receipt like anything from outside the process.
import {
  type ChatMessage,
  type MediaKind,
  type ModerationAction,
  roomControlChecks,
  TARGETED_ACTIONS,
} from "../../protocol/index.ts";

export type TargetAction = "mute" | "stop" | "allow" | "remove";
export type RoomAction = "lock" | "unlock" | "lower_hands" | "end";

export type RoomEvent =
  | { kind: "chat"; message: ChatMessage }
  /** A relay about to seat the room's first participant here asks the others for its chat. */
  | { kind: "history_request" }
  /** The answer, for relay `to` only: the room's last messages, oldest first. */
  | { kind: "history"; to: number; messages: ChatMessage[] }
  | { kind: "target"; target: number; action: TargetAction; media?: MediaKind; by: string }
  | { kind: "room"; action: RoomAction; by: string };

const ROOM_ACTIONS: readonly string[] = ["lock", "unlock", "lower_hands", "end"];
const MAX_TEXT = 16_384;
const MAX_HISTORY = 200;

const { isPeerId, isMedia, isRecord } = roomControlChecks;

function validChat(value: unknown): ChatMessage | null {
  if (!isRecord(value)) return null;
  const { from, name, time, text, sealed } = value;
  if (!isPeerId(from) || typeof name !== "string" || name.length > 256) return null;
  if (typeof time !== "number" || !Number.isFinite(time)) return null;
  const message: ChatMessage = { type: "chat", from, name, time };
  if (typeof text === "string" && text.length <= MAX_TEXT) message.text = text;
  else if (typeof sealed === "string" && sealed.length <= MAX_TEXT) message.sealed = sealed;
  else return null;
  return message;
}

/** The event in a bus message, or null when it is not one (a roster, garbage). */
export function decodeRoomEvent(value: Record<string, unknown>): RoomEvent | null {
  const event = value.event;
  if (!isRecord(event)) return null;
  if (typeof event.by !== "string" && ["target", "room"].includes(event.kind as string))
    return null;
  switch (event.kind) {
    case "history_request":
      return { kind: "history_request" };
    case "history": {
      const { to, messages } = event;
      if (!Number.isInteger(to) || !Array.isArray(messages)) return null;
      const valid = messages
        .slice(-MAX_HISTORY)
        .map(validChat)
        .filter((m): m is ChatMessage => m !== null);
      return { kind: "history", to: to as number, messages: valid };
    }
    case "chat": {
      const message = validChat(event.message);
      return message ? { kind: "chat", message } : null;
    }
    case "target": {
      const action = event.action as ModerationAction;
      if (!TARGETED_ACTIONS.includes(action) || !isPeerId(event.target)) return null;
      if ((action === "stop" || action === "allow") && !isMedia(event.media)) return null;
      const out: RoomEvent = {
        kind: "target",
        target: event.target,
        action: action as TargetAction,
        by: String(event.by).slice(0, 256),
      };
      if (isMedia(event.media)) out.media = event.media;
      return out;
    }
    case "room":
      return ROOM_ACTIONS.includes(event.action as string)
        ? { kind: "room", action: event.action as RoomAction, by: String(event.by).slice(0, 256) }
        : null;
    default:
      return null;
  }
}
