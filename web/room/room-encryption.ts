// The page's side of end-to-end encrypted rooms: the key comes from (and goes into) the link's
// #fragment, which browsers never send to a server, and is never stored anywhere else.
import { keyFragment, keyFromFragment } from "../../client-core/room-key.ts";
import {
  generateRoomKey,
  importRoomKey,
  parseRoomKey,
  type RoomKey,
} from "../../protocol/index.ts";

/** WebCrypto's subtle API exists only in secure contexts: https:// or localhost. */
export function canEncrypt(): boolean {
  return globalThis.isSecureContext === true && globalThis.crypto?.subtle !== undefined;
}

export type KeyChoice = { ok: true; key: string | null } | { ok: false; message: string };

/**
 * The key to join with: the link's key if it has one, a fresh one when the visitor asks for an
 * encrypted room, none otherwise.
 */
export function chooseKey(hash: string, wantEncrypted: boolean): KeyChoice {
  const fromLink = keyFromFragment(hash);
  if (!wantEncrypted) return { ok: true, key: null };
  if (!canEncrypt()) {
    return {
      ok: false,
      message:
        "End-to-end encryption needs a secure page: open the relay over https:// (or on localhost).",
    };
  }
  if (fromLink === null) return { ok: true, key: generateRoomKey() };
  if (!parseRoomKey(fromLink)) {
    return {
      ok: false,
      message:
        "The link's #key is not a room key (22 characters): ask for the link again, copied whole.",
    };
  }
  return { ok: true, key: fromLink };
}

/** `#key=KEY`, or "" for an unencrypted room. */
export function fragmentFor(key: string | null): string {
  return key ? keyFragment(key) : "";
}

export function importKey(key: string | null): Promise<RoomKey | null> {
  return key ? importRoomKey(key) : Promise.resolve(null);
}
