// URL layout shared by the relay and every client.

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

/** Trims a display name to something safe to show and log. */
export function cleanName(raw: string | null | undefined, fallback: string): string {
  // Drop control characters so a name can't rewrite a terminal line or a log entry.
  const name = (raw ?? "")
    .replace(/\p{Cc}/gu, "")
    .trim()
    .slice(0, MAX_NAME_LENGTH);
  return name.length > 0 ? name : fallback;
}

/**
 * Header on the clients' "why was my WebSocket refused?" GET (client/refusal-probe.ts,
 * web/refusal-check.ts): the relay answers it as usual but doesn't log or count the refusal again.
 */
export const REFUSAL_PROBE_HEADER = "x-framecast-refusal-probe";
