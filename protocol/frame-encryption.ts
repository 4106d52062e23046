// End-to-end frame encryption (docs/PROTOCOL.md, "Encrypted frames"): AES-128-GCM over a frame's
// payload, whatever its kind, with WebCrypto so Bun and the browser run this same code. The relay
// never calls any of it: it sees the Encrypted flag and forwards the bytes.
//
// Encrypted payload = nonce (12) || ciphertext (same length as the plaintext) || GCM tag (16).
// Nonce = sender salt (8 random bytes, drawn once per sealer) || counter (u32 big-endian, +1 per
// frame). Following RFC 9605 (SFrame) a nonce is a per-sender id plus a counter; the id is random
// rather than assigned because nobody in a room hands out ids the relay can't touch, and 64
// random bits keep two senders' salts apart (collision odds ~n²/2^65). A sealer lives as long as
// its client process, across reconnects, so its counter never restarts under the same salt;
// when the counter would wrap it draws a new salt.
//
// Associated data = header bytes 0-3 and 8-19 (version, kind, flags, capture time, sequence):
// everything but the sender id, which the relay writes.

import { ENCRYPTION_OVERHEAD, FrameFlag, HEADER_BYTES, readFlags } from "./frame.ts";

/** Header flag bit 0 (docs/PROTOCOL.md): the payload is sealed with the room key. */
export const ENCRYPTED_FLAG = FrameFlag.Encrypted;
export const NONCE_BYTES = 12;
export const SALT_BYTES = 8;
export const TAG_BYTES = 16;
/** Room keys are 128 random bits. */
export const ROOM_KEY_BYTES = 16;
/** ...written as 22 base64url characters (no padding). */
export const ROOM_KEY_CHARS = 22;

const FLAGS_OFFSET = 2;
const SENDER_OFFSET = 4;
const AAD_BYTES = HEADER_BYTES - 4;
const MAX_COUNTER = 0xffff_ffff;
/** 22 base64url characters whose last one carries 2 bits of key and 4 zero bits. */
const ROOM_KEY_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;
/** HKDF info: the frame key is derived, so the raw room key is never used directly as an AES key. */
const FRAME_KEY_INFO = new TextEncoder().encode("framecast e2ee v1 frame key");
/** HKDF info of the chat key: chat text is sealed under its own key (client-core/chat-seal.ts). */
const CHAT_KEY_INFO = new TextEncoder().encode("framecast e2ee v1 chat key");

/** A room key imported for frame encryption (non-extractable). */
export interface RoomKey {
  readonly frameKey: CryptoKey;
  /** Seals chat messages (random nonces; a key apart from frames' counter nonces). */
  readonly chatKey: CryptoKey;
}

/** True when the frame's header has the Encrypted flag. */
export function isEncryptedFrame(message: Uint8Array): boolean {
  return message.byteLength >= HEADER_BYTES && (readFlags(message) & ENCRYPTED_FLAG) !== 0;
}

/** Base64url without padding: the alphabet of URL fragments and shell arguments alike. */
function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh room key: 128 bits from the platform's CSPRNG, as 22 base64url characters. */
export function generateRoomKey(): string {
  // A key starting with "-" reads as a flag after `--e2ee-key KEY` (1 in 64 keys did): draw
  // again. The first character is then one of 63, which costs 0.02 bits of the 128.
  for (;;) {
    const key = toBase64Url(crypto.getRandomValues(new Uint8Array(ROOM_KEY_BYTES)));
    if (!key.startsWith("-")) return key;
  }
}

/** The 16 key bytes of a written room key, or null when it is not exactly a room key. */
export function parseRoomKey(text: string): Uint8Array<ArrayBuffer> | null {
  if (!ROOM_KEY_PATTERN.test(text)) return null;
  const binary = atob(`${text.replace(/-/g, "+").replace(/_/g, "/")}==`);
  const bytes = new Uint8Array(ROOM_KEY_BYTES);
  for (let i = 0; i < ROOM_KEY_BYTES; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Imports a written room key; throws RangeError when the text is not a room key. */
export async function importRoomKey(text: string): Promise<RoomKey> {
  const raw = parseRoomKey(text);
  if (!raw) throw new RangeError(`a room key is ${ROOM_KEY_CHARS} base64url characters`);
  const secret = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  raw.fill(0);
  const derive = (info: Uint8Array<ArrayBuffer>) =>
    crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
      secret,
      { name: "AES-GCM", length: 128 },
      false,
      ["encrypt", "decrypt"],
    );
  return { frameKey: await derive(FRAME_KEY_INFO), chatKey: await derive(CHAT_KEY_INFO) };
}

/** Frames live in ordinary ArrayBuffers (sockets, splitter), never shared memory. */
function bytesOf(view: Uint8Array): Uint8Array<ArrayBuffer> {
  return view as Uint8Array<ArrayBuffer>;
}

/** Header bytes 0-3 and 8-19 of `message`, as GCM's associated data. */
function associatedData(message: Uint8Array): Uint8Array<ArrayBuffer> {
  const aad = new Uint8Array(AAD_BYTES);
  aad.set(message.subarray(0, SENDER_OFFSET), 0);
  aad.set(message.subarray(SENDER_OFFSET + 4, HEADER_BYTES), SENDER_OFFSET);
  return aad;
}

/**
 * Seals one sender's frames. Use one sealer per sending client for its whole life (every kind
 * of frame it sends, across reconnects): its nonces never repeat.
 */
export class FrameSealer {
  readonly #key: RoomKey;
  readonly #nonce = new Uint8Array(NONCE_BYTES);
  #counter = 0;

  /** `fixedSalt` is for documented examples and tests only: real senders draw theirs. */
  constructor(key: RoomKey, fixedSalt?: Uint8Array) {
    this.#key = key;
    this.#newSalt();
    if (fixedSalt) this.#nonce.set(fixedSalt.subarray(0, SALT_BYTES));
  }

  /** The next nonce; exposed for tests of the layout. */
  nextNonce(): Uint8Array<ArrayBuffer> {
    if (this.#counter > MAX_COUNTER) this.#newSalt();
    const view = new DataView(this.#nonce.buffer);
    view.setUint32(SALT_BYTES, this.#counter++, false);
    return Uint8Array.from(this.#nonce);
  }

  /**
   * Encrypts a plaintext frame (header + payload, any kind and flags) into a new message: the
   * same header with the Encrypted flag set, then nonce || ciphertext || tag.
   */
  async seal(frame: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    if (frame.byteLength <= HEADER_BYTES) throw new RangeError("a frame to seal needs a payload");
    if (isEncryptedFrame(frame)) throw new RangeError("frame is already encrypted");
    // The nonce is taken before the await: concurrent seals never share one.
    const nonce = this.nextNonce();
    const header = Uint8Array.from(frame.subarray(0, HEADER_BYTES));
    header[FLAGS_OFFSET] = (header[FLAGS_OFFSET] as number) | ENCRYPTED_FLAG;
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: associatedData(header), tagLength: 128 },
      this.#key.frameKey,
      bytesOf(frame.subarray(HEADER_BYTES)),
    );
    const message = new Uint8Array(HEADER_BYTES + NONCE_BYTES + sealed.byteLength);
    message.set(header, 0);
    message.set(nonce, HEADER_BYTES);
    message.set(new Uint8Array(sealed), HEADER_BYTES + NONCE_BYTES);
    return message;
  }

  #newSalt(): void {
    crypto.getRandomValues(this.#nonce.subarray(0, SALT_BYTES));
    this.#counter = 0;
  }
}

/** Why an encrypted frame did not open. */
export type OpenProblem = "not_encrypted" | "too_short" | "failed";

export type OpenResult =
  | { ok: true; frame: Uint8Array<ArrayBuffer>; salt: bigint; counter: number }
  | { ok: false; problem: OpenProblem };

/**
 * Decrypts and authenticates an encrypted frame. On success `frame` is the plaintext frame as
 * the sender built it (header with the Encrypted flag cleared, sender id as the relay stamped
 * it), so the rest of a client handles it like any unencrypted frame. "failed" = wrong key or a
 * changed byte (header or payload).
 */
export async function openFrame(key: RoomKey, message: Uint8Array): Promise<OpenResult> {
  if (!isEncryptedFrame(message)) return { ok: false, problem: "not_encrypted" };
  if (message.byteLength <= HEADER_BYTES + ENCRYPTION_OVERHEAD) {
    return { ok: false, problem: "too_short" };
  }
  const nonce = bytesOf(message.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES));
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: nonce, additionalData: associatedData(message), tagLength: 128 },
      key.frameKey,
      bytesOf(message.subarray(HEADER_BYTES + NONCE_BYTES)),
    );
  } catch {
    return { ok: false, problem: "failed" };
  }
  const frame = new Uint8Array(HEADER_BYTES + plaintext.byteLength);
  frame.set(message.subarray(0, HEADER_BYTES), 0);
  frame[FLAGS_OFFSET] = (frame[FLAGS_OFFSET] as number) & ~ENCRYPTED_FLAG;
  frame.set(new Uint8Array(plaintext), HEADER_BYTES);
  const nonceView = new DataView(nonce.buffer, nonce.byteOffset, NONCE_BYTES);
  return {
    ok: true,
    frame,
    salt: nonceView.getBigUint64(0, false),
    counter: nonceView.getUint32(SALT_BYTES, false),
  };
}
