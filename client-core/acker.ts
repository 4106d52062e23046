// Acks (docs/PROTOCOL.md, "Acks"), for both clients: once a frame has been shown, recorded,
// counted or deliberately skipped, tell the relay, so that it paces what it sends to what this
// participant can take, and a slow machine or link gets a recent frame instead of a backlog.
//
// The rule: every received video frame is acked exactly once, whether it was shown, written,
// skipped, malformed, undecryptable or from a sender we don't know; nothing else is (audio is not
// paced, and a message of another kind or shorter than a header is not a frame the relay paced).
import {
  type AckedFrame,
  FrameKind,
  frameKind,
  HEADER_BYTES,
  type WelcomeMessage,
  writeAckFor,
  writeHeader,
} from "../protocol/index.ts";

export class Acker {
  readonly #socket: () => WebSocket | null;
  /** One buffer for every ack: WebSocket.send copies it, so nothing is allocated per frame. */
  readonly #message = new Uint8Array(HEADER_BYTES);
  #enabled = false;
  sent = 0;

  constructor(socket: () => WebSocket | null) {
    this.#socket = socket;
  }

  /** The relay paces us only when its welcome names an ack window; an older relay refuses acks. */
  welcome(message: WelcomeMessage): void {
    this.#enabled = typeof message.ackWindow === "number";
  }

  /** Connection lost: the next welcome decides again. */
  reset(): void {
    this.#enabled = false;
  }

  /** Done with this received frame (its header is enough); only video frames are acked. */
  done(frame: Uint8Array): void {
    if (!this.#enabled || !isAckable(frame)) return;
    writeAckFor(this.#message, frame);
    this.#send();
  }

  /** Not shown on purpose (malformed, undecryptable, unknown sender): acked all the same. */
  skipped(frame: Uint8Array): void {
    this.done(frame);
  }

  /** Done with a frame whose bytes are gone (decoded elsewhere): its header fields. */
  doneWith(frame: AckedFrame): void {
    if (!this.#enabled) return;
    writeHeader(this.#message, { kind: FrameKind.Ack, flags: 0, ...frame });
    this.#send();
  }

  #send(): void {
    const socket = this.#socket();
    if (!socket) return;
    socket.send(this.#message);
    this.sent++;
  }
}

/** True for a message the relay paces and so waits to hear an ack of: a video frame's header. */
export function isAckable(message: Uint8Array): boolean {
  if (message.byteLength < HEADER_BYTES) return false;
  const kind = frameKind(message);
  // Video of either codec is paced by acks (docs/PROTOCOL.md, Acks and H.264); sound is not.
  return kind === FrameKind.VideoJpeg || kind === FrameKind.VideoH264;
}
