// Where the page is and where its relay is: the room in the path (/r/ROOM) and the relay
// WebSocket on the same host that served the page.
import { isValidRoomName } from "../../protocol/index.ts";

// Anchored at the end only: under a proxy's sub-path the page is at /PREFIX/r/ROOM.
const ROOM_PATH = /\/r\/([^/]+)\/?$/;

/** The room named by a page path like /r/demo, or null (also for an invalid name). */
export function roomFromPath(pathname: string): string | null {
  const match = ROOM_PATH.exec(pathname);
  if (!match?.[1]) return null;
  let room: string;
  try {
    room = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  return isValidRoomName(room) ? room : null;
}

/**
 * The prefix a reverse proxy serves the relay under ("" at the site root, "/call" for
 * https://example.org/call/): the page's path without its own /r/ROOM or trailing part.
 */
export function pageBasePath(pathname: string): string {
  const room = ROOM_PATH.exec(pathname);
  const rest = room ? pathname.slice(0, room.index) : pathname.replace(/\/[^/]*$/, "");
  return rest.replace(/\/+$/, "");
}

/** The shareable page path for a room (under the page's prefix, if any). */
export function roomPagePath(room: string, base = ""): string {
  return `${base}/r/${encodeURIComponent(room)}`;
}

/** ws:// or wss:// base URL of the relay that served a page at `pageUrl`, prefix included. */
export function relayBaseUrl(pageUrl: string): string {
  const url = new URL(pageUrl);
  return `${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}${pageBasePath(url.pathname)}`;
}

/**
 * The join token of the page's own URL (`/r/ROOM?token=...`), or null: browsers can't set headers
 * on a WebSocket, so it goes in the socket URL's query (protocol/join-options.ts).
 */
export function pageToken(pageUrl: string): string | null {
  return new URL(pageUrl).searchParams.get("token") || null;
}
