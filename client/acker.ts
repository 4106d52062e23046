// Acks (docs/PROTOCOL.md, "Acks"): once a frame has been shown, recorded, counted or deliberately
// skipped, tell the relay, so that it paces what it sends us to what we can take and a slow
// machine or link always gets a recent frame instead of a growing backlog.
import { HEADER_BYTES, type WelcomeMessage, writeAckFor } from "../protocol/index.ts";

export class Acker {
  readonly #socket: () => WebSocket | null;
  /** One buffer for every ack: WebSocket.send copies it, so nothing is allocated per frame. */
  readonly #message = new Uint8Array(HEADER_BYTES);
  #enabled = false;
  sent = 0;

  constructor(socket: () => WebSocket | null) {
    this.#socket = socket;
  }

  /** The relay paces us only when its welcome says so; an older relay would refuse acks. */
  welcome(message: WelcomeMessage): void {
    this.#enabled = typeof message.ackWindow === "number";
  }

  /** Connection lost: the next welcome decides again. */
  reset(): void {
    this.#enabled = false;
  }

  /** We are done with this received frame (its header is enough). */
  done(frame: Uint8Array): void {
    if (!this.#enabled || frame.byteLength < HEADER_BYTES) return;
    const socket = this.#socket();
    if (!socket) return;
    writeAckFor(this.#message, frame);
    socket.send(this.#message);
    this.sent++;
  }
}
