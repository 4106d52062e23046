// URL layout shared by the relay and every client.
import { LAYERS_PARAM } from "./layers.ts";

/** Room names: 1-64 characters of [A-Za-z0-9_-]. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Participants on the old base64-text protocol (WebSocket at "/") land in this room. */
export const LEGACY_ROOM = "lobby";

/** Longest display name kept; longer names are cut. */
export const MAX_NAME_LENGTH = 64;

export const DEFAULT_PORT = 8765;

export function isValidRoomName(room: string): boolean {
  return ROOM_NAME_PATTERN.test(room);
}

/** Path of the v1 WebSocket endpoint for a room. */
export function roomPath(room: string): string {
  return `/v1/rooms/${encodeURIComponent(room)}`;
}

/** Query parameter that opts a receiver into ack-paced delivery (docs/PROTOCOL.md, Acks). */
export const ACK_PARAM = "ack";

/**
 * Full WebSocket URL for joining `room` on the relay at `relayUrl` (ws:// or wss://); with
 * `ack`, the receiver asks for ack-paced delivery; `audio: false` asks for no sound.
 */
export function roomUrl(
  relayUrl: string,
  room: string,
  name?: string,
  ack = false,
  layers = false,
  audio = true,
): string {
  const url = new URL(relayUrl);
  // A relay under a sub-path (wss://example.org/call, behind a proxy) keeps its prefix.
  url.pathname = url.pathname.replace(/\/+$/, "") + roomPath(room);
  if (name) url.searchParams.set("name", name);
  if (ack) url.searchParams.set(ACK_PARAM, "1");
  // Layers need acks: the relay reads a receiver's link from them (protocol/layers.ts).
  if (ack && layers) url.searchParams.set(LAYERS_PARAM, "1");
  // Without audio the relay sends this receiver no Opus packets (docs/PROTOCOL.md, Audio).
  if (!audio) url.searchParams.set("audio", "0");
  return url.toString();
}

/** Trims a display name to something safe to show and log. */
export function cleanName(raw: string | null | undefined, fallback: string): string {
  // Drop control characters so a name can't rewrite a terminal line or a log entry.
  const name = (raw ?? "")
    .replace(/\p{Cc}/gu, "")
    .trim()
    .slice(0, MAX_NAME_LENGTH);
  return name.length > 0 ? name : fallback;
}
