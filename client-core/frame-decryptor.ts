// The receive side of an encrypted room, shared by the CLI and the page: opens each frame, drops
// and counts what does not open, and keeps per sender what a tile or a status line should say.
//
// With a key, only frames that open are shown: an unencrypted frame in an encrypted room could
// come from anyone, the relay included, so it is dropped and its sender marked "not encrypted".
// Without a key, encrypted frames are dropped and their sender marked "encrypted (no key)".
// Frames that open are checked against replay: per sender salt each counter is accepted once
// (client-core/replay-window.ts).
import { isEncryptedFrame, openFrame, type RoomKey, readSenderId } from "../protocol/index.ts";
import { ReplayWindow } from "./replay-window.ts";

/** What we can show of a sender's video. */
export type SenderCryptoState =
  /** Frames open (encrypted room) or arrive in the clear (unencrypted room). */
  | "ok"
  /** Encrypted frames that don't open with our key: wrong key, or bytes changed on the way. */
  | "cant_decrypt"
  /** We have a key, the sender sends unencrypted frames: not shown. */
  | "not_encrypted"
  /** The sender encrypts, we have no key: not shown. */
  | "no_key";

/** One line a person understands, for tiles and status lines. */
export const CRYPTO_STATE_TEXT: Record<SenderCryptoState, string> = {
  ok: "",
  cant_decrypt: "can't decrypt (wrong key?)",
  not_encrypted: "not encrypted: hidden in this encrypted room",
  no_key: "end-to-end encrypted: you have no room key",
};

export interface DecryptCounts {
  opened: number;
  /** Wrong key or tampered: dropped. */
  failed: number;
  /** Replayed (a counter we saw already for that salt): dropped. */
  replayed: number;
  /** Unencrypted frames dropped because we have a key. */
  unencrypted: number;
  /** Encrypted frames dropped because we have no key. */
  noKey: number;
}

export type DecryptResult =
  | { ok: true; frame: Uint8Array; senderId: number }
  | { ok: false; senderId: number; state: SenderCryptoState };

/** Salts remembered for the replay check (oldest forgotten first). */
const MAX_SALTS = 1024;

export class FrameDecryptor {
  readonly counts: DecryptCounts = { opened: 0, failed: 0, replayed: 0, unencrypted: 0, noKey: 0 };
  readonly #key: RoomKey | null;
  readonly #states = new Map<number, SenderCryptoState>();
  readonly #windows = new Map<bigint, ReplayWindow>();
  /** Results come back in arrival order even if a platform finishes decrypts out of order. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(key: RoomKey | null) {
    this.#key = key;
  }

  get encrypted(): boolean {
    return this.#key !== null;
  }

  /** The state of a sender's latest frame; "ok" before any frame. */
  stateOf(senderId: number): SenderCryptoState {
    return this.#states.get(senderId) ?? "ok";
  }

  /** Forget a sender (it left, or the connection dropped). */
  forget(senderId: number): void {
    this.#states.delete(senderId);
  }

  clear(): void {
    this.#states.clear();
  }

  /**
   * A validated binary frame from the relay. Resolves with the plaintext frame (same header,
   * Encrypted flag cleared) or says why it was dropped. Unencrypted rooms pass plain frames
   * through untouched.
   */
  open(message: Uint8Array): Promise<DecryptResult> {
    const result = this.#tail.then(() => this.#open(message));
    this.#tail = result.catch(() => {});
    return result;
  }

  async #open(message: Uint8Array): Promise<DecryptResult> {
    const senderId = readSenderId(message);
    const encrypted = isEncryptedFrame(message);
    if (!this.#key) {
      if (!encrypted) return this.#pass(senderId, message);
      this.counts.noKey++;
      return this.#drop(senderId, "no_key");
    }
    if (!encrypted) {
      this.counts.unencrypted++;
      return this.#drop(senderId, "not_encrypted");
    }
    const opened = await openFrame(this.#key, message);
    if (!opened.ok) {
      this.counts.failed++;
      return this.#drop(senderId, "cant_decrypt");
    }
    if (!this.#windowOf(opened.salt).accept(opened.counter)) {
      this.counts.replayed++;
      return { ok: false, senderId, state: this.stateOf(senderId) };
    }
    this.counts.opened++;
    return this.#pass(senderId, opened.frame);
  }

  #pass(senderId: number, frame: Uint8Array): DecryptResult {
    this.#states.set(senderId, "ok");
    return { ok: true, frame, senderId };
  }

  #drop(senderId: number, state: SenderCryptoState): DecryptResult {
    this.#states.set(senderId, state);
    return { ok: false, senderId, state };
  }

  #windowOf(salt: bigint): ReplayWindow {
    let window = this.#windows.get(salt);
    if (window) {
      // Most recently used last, so the oldest salt is the first to forget.
      this.#windows.delete(salt);
    } else {
      window = new ReplayWindow();
      if (this.#windows.size >= MAX_SALTS) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
    }
    this.#windows.set(salt, window);
    return window;
  }
}
