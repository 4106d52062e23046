// What both clients do with a binary message from the relay: open it if it is sealed, check it,
// then hand it to the route of its kind. The routes are keyed by FrameKind name, so a new kind
// fails to compile here (the switch ends in assertNever) and in each client (its routes object
// lacks the new key) until every one of them handles it.
import {
  assertNever,
  FrameKind,
  type FrameProblem,
  frameKind,
  isEncryptedFrame,
  validateFrame,
} from "../protocol/index.ts";
import type { Acker } from "./acker.ts";
import type { FrameDecryptor, SenderCryptoState } from "./frame-decryptor.ts";

/** Kinds the relay forwards to clients (it consumes acks itself). */
export type ReceivedKind = Exclude<keyof typeof FrameKind, "Ack">;

/** One route per received kind, given a plain (or opened), valid frame. */
export type InboundRoutes = Record<ReceivedKind, (frame: Uint8Array) => void>;

export interface InboundFramesOptions {
  /** Opens sealed frames; null for a client that never decrypts (the CLI's base64 wire). */
  decryptor: FrameDecryptor | null;
  /** Skipped frames are acked here (Acker's rule); routes ack the frames they take. */
  acker: Acker;
  routes: InboundRoutes;
  /** A frame dropped unopened (wrong key, tampered, plain in an encrypted room, no key). */
  undecryptable: (message: Uint8Array, senderId: number, state: SenderCryptoState) => void;
  /** A frame that fails the check on receipt (say it once; it is acked already). */
  malformed?: (problem: FrameProblem | "unexpected_kind") => void;
}

/**
 * The route for kind 4 (H.264) until a client decodes it: ack (so its window stays open) and drop.
 * Clients don't declare `codecs=h264` yet, so the relay doesn't send them kind 4 anyway.
 */
export function h264NotYetDecoded(acker: Acker): (frame: Uint8Array) => void {
  return (frame) => acker.skipped(frame);
}

export class InboundFrames {
  readonly #options: InboundFramesOptions;
  /** The relay's limit from its welcome; frames over it are malformed. */
  maxFrameBytes = Number.POSITIVE_INFINITY;

  constructor(options: InboundFramesOptions) {
    this.#options = options;
  }

  receive(message: Uint8Array): void {
    const decryptor = this.#options.decryptor;
    // Plain frames in a room without a key take the synchronous path.
    if (decryptor && (decryptor.encrypted || isEncryptedFrame(message))) {
      void decryptor.open(message).then((result) => {
        if (result.ok) this.#dispatch(result.frame);
        else {
          this.#options.undecryptable(message, result.senderId, result.state);
          this.#options.acker.skipped(message);
        }
      });
    } else {
      this.#dispatch(message);
    }
  }

  #dispatch(message: Uint8Array): void {
    const problem = validateFrame(message, this.maxFrameBytes);
    if (problem !== null) {
      this.#reject(message, problem);
      return;
    }
    const kind = frameKind(message);
    const routes = this.#options.routes;
    switch (kind) {
      case FrameKind.VideoJpeg:
        routes.VideoJpeg(message);
        break;
      case FrameKind.Audio:
        routes.Audio(message);
        break;
      case FrameKind.VideoH264:
        routes.VideoH264(message);
        break;
      case FrameKind.Ack:
      case null: // validateFrame refused both already
        this.#reject(message, "unexpected_kind");
        break;
      default:
        assertNever(kind);
    }
  }

  #reject(message: Uint8Array, problem: FrameProblem | "unexpected_kind"): void {
    this.#options.malformed?.(problem);
    this.#options.acker.skipped(message);
  }
}
