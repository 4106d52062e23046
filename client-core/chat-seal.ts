// Chat in an encrypted room, for both clients: the text is sealed with the room's chat key
// (AES-128-GCM, a random 96-bit nonce per message) and sent as base64, so the relay stamps and
// relays bytes it can't read. Sealed = base64(nonce (12) || ciphertext || tag (16)).
import type { RoomKey } from "../protocol/index.ts";

const NONCE_BYTES = 12;
/** Associated data: a sealed chat message can't pass for anything else sealed with the key. */
const CHAT_AAD = new TextEncoder().encode("framecast chat v1");

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

export async function sealChat(key: RoomKey, text: string): Promise<string> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const plain = new TextEncoder().encode(text);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: CHAT_AAD },
      key.chatKey,
      plain,
    ),
  );
  const out = new Uint8Array(NONCE_BYTES + sealed.byteLength);
  out.set(nonce, 0);
  out.set(sealed, NONCE_BYTES);
  return toBase64(out);
}

/** The text, or null when it does not open with this key (another key, tampered, garbage). */
export async function openChat(key: RoomKey, sealed: string): Promise<string | null> {
  const bytes = fromBase64(sealed);
  if (!bytes || bytes.byteLength < NONCE_BYTES + 16) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, NONCE_BYTES), additionalData: CHAT_AAD },
      key.chatKey,
      bytes.subarray(NONCE_BYTES),
    );
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}
