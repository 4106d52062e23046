// Acks (docs/PROTOCOL.md, "Acks"): after a frame is drawn, tell the relay, so that it paces what
// it sends this page to what the device can decode and draw: a slow phone gets fewer frames,
// never older ones, and no backlog builds up in the relay or the network.
import { type AckedFrame, encodeAck, type WelcomeMessage } from "../protocol/index.ts";

export class FrameAcker {
  readonly #socket: () => WebSocket | null;
  #enabled = false;

  constructor(socket: () => WebSocket | null) {
    this.#socket = socket;
  }

  /** Only a relay whose welcome names an ack window paces us; an older one would refuse acks. */
  welcome(message: WelcomeMessage): void {
    this.#enabled = typeof message.ackWindow === "number";
  }

  /** Done with this frame (drawn, or undecodable). Acks are cumulative per sender. */
  done(frame: AckedFrame): void {
    if (!this.#enabled) return;
    this.#socket()?.send(encodeAck(frame));
  }
}
