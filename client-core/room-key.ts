// Where a room key lives outside the relay's reach: the fragment of a room link
// (`/r/ROOM#key=KEY`, which browsers never send to a server) and the CLI's --e2ee-key, which takes
// the bare key or the whole link. Shared by the page and the CLI.
import { isValidRoomName, parseRoomKey, ROOM_KEY_CHARS } from "../protocol/index.ts";

/** The fragment parameter that carries the key. */
export const KEY_FRAGMENT_PARAM = "key";

/** The key in a URL fragment like `#key=KEY` (other fragment parameters are kept apart). */
export function keyFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  return params.get(KEY_FRAGMENT_PARAM);
}

/** `#key=KEY`: what a room link ends with. */
export function keyFragment(key: string): string {
  return `#${KEY_FRAGMENT_PARAM}=${key}`;
}

/** A page link (http(s)://HOST/r/ROOM[?token=...]) with the key in its fragment. */
export function linkWithKey(pageUrl: string, key: string | null): string {
  const url = new URL(pageUrl);
  url.hash = key ? keyFragment(key).slice(1) : "";
  return url.toString();
}

/** What --e2ee-key gave: the key, plus the room, relay and token when it was a whole link. */
export interface KeyArgument {
  key: string;
  room: string | null;
  /** ws:// or wss:// URL of the relay that served the link's page. */
  relay: string | null;
  token: string | null;
}

export class KeyArgumentError extends Error {}

/** Reads a bare key or a room link with `#key=`; throws KeyArgumentError with one line. */
export function parseKeyArgument(raw: string): KeyArgument {
  const text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    if (!parseRoomKey(text)) throw new KeyArgumentError(badKey(text));
    return { key: text, room: null, relay: null, token: null };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KeyArgumentError("the link given as the room key is not a URL");
  }
  const key = keyFromFragment(url.hash);
  if (key === null)
    throw new KeyArgumentError("the link has no #key=...: it is not an encrypted room's link");
  if (!parseRoomKey(key)) throw new KeyArgumentError(badKey(key));
  const match = /^\/r\/([^/]+)\/?$/.exec(url.pathname);
  let room: string | null = null;
  if (match?.[1]) {
    try {
      room = decodeURIComponent(match[1]);
    } catch {
      room = null;
    }
    if (room !== null && !isValidRoomName(room)) room = null;
  }
  let relay: string | null = null;
  if (url.protocol === "http:" || url.protocol === "https:") {
    relay = `${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}`;
  } else if (url.protocol === "ws:" || url.protocol === "wss:") {
    relay = `${url.protocol}//${url.host}`;
  }
  return { key, room, relay, token: url.searchParams.get("token") };
}

function badKey(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `a room key is ${ROOM_KEY_CHARS} base64url characters (A-Z a-z 0-9 - _), not '${shown}'`;
}

/** The page link for a room on the relay at `relayUrl` (ws/wss → http/https), with the key. */
export function pageLinkFor(relayUrl: string, room: string, key: string): string {
  const relay = new URL(relayUrl);
  const scheme = relay.protocol === "wss:" || relay.protocol === "https:" ? "https:" : "http:";
  const prefix = relay.pathname.replace(/\/+$/, "");
  return `${scheme}//${relay.host}${prefix}/r/${encodeURIComponent(room)}${keyFragment(key)}`;
}
