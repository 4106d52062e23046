// The grid: your preview first, then one tile per other participant, added and removed with
// presence. Frames from ids we don't know (a participant who just left) are ignored.
import {
  type AckedFrame,
  framePayload,
  type PeerInfo,
  readCaptureTime,
  readSenderId,
  readSequence,
  validateFrame,
} from "../protocol/index.ts";
import { RemoteTile } from "./remote-tile.ts";

export class TileGrid {
  readonly #container: HTMLElement;
  readonly #tiles = new Map<number, RemoteTile>();
  readonly #ack: (frame: AckedFrame) => void;

  /** `ack` is called once each frame is drawn (or undecodable). */
  constructor(container: HTMLElement, ack: (frame: AckedFrame) => void = () => {}) {
    this.#container = container;
    this.#ack = ack;
    this.#updateCount();
  }

  get size(): number {
    return this.#tiles.size;
  }

  add(peer: PeerInfo): void {
    if (this.#tiles.has(peer.id)) return;
    const tile = new RemoteTile(peer);
    this.#tiles.set(peer.id, tile);
    this.#container.append(tile.element);
    this.#updateCount();
  }

  remove(id: number): void {
    this.#tiles.get(id)?.dispose();
    this.#tiles.delete(id);
    this.#updateCount();
  }

  /** Everyone goes (we left, or the connection dropped: ids belong to one connection). */
  clear(): void {
    for (const tile of this.#tiles.values()) tile.dispose();
    this.#tiles.clear();
    this.#updateCount();
  }

  /** A binary message from the relay. */
  frame(message: Uint8Array): void {
    // The relay validated it already; this only guards against a relay from a future version.
    if (validateFrame(message, Number.POSITIVE_INFINITY) !== null) return;
    const senderId = readSenderId(message);
    const captureTimeMs = readCaptureTime(message);
    const sequence = readSequence(message);
    this.#tiles.get(senderId)?.receive({
      jpeg: framePayload(message),
      captureTimeMs,
      done: () => this.#ack({ senderId, captureTimeMs, sequence }),
    });
  }

  refresh(nowMs: number): void {
    for (const tile of this.#tiles.values()) tile.refresh(nowMs);
  }

  #updateCount(): void {
    this.#container.dataset.count = String(this.#tiles.size);
  }
}
