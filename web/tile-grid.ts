// Everyone else's tiles: one per other participant, added and removed with presence, each fed
// its frames. Frames from ids we don't know (a participant who just left) are ignored.
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
import type { TileActions } from "./tile-view.ts";

export class TileGrid {
  readonly #container: HTMLElement;
  readonly #tiles = new Map<number, RemoteTile>();
  readonly #actions: TileActions;
  readonly #ack: (frame: AckedFrame) => void;
  readonly #onChange: () => void;

  /**
   * `ack` is called once each frame is drawn (or undecodable); `onChange` after a tile comes or
   * goes (the layout and the participant list follow).
   */
  constructor(
    container: HTMLElement,
    options: {
      actions: TileActions;
      ack?: (frame: AckedFrame) => void;
      onChange?: () => void;
    },
  ) {
    this.#container = container;
    this.#actions = options.actions;
    this.#ack = options.ack ?? (() => {});
    this.#onChange = options.onChange ?? (() => {});
  }

  get size(): number {
    return this.#tiles.size;
  }

  /** The other participants, in the order they joined. */
  get peers(): PeerInfo[] {
    return [...this.#tiles.values()].map((tile) => tile.peer);
  }

  add(peer: PeerInfo): void {
    if (this.#tiles.has(peer.id)) return;
    const tile = new RemoteTile(peer, this.#actions);
    this.#tiles.set(peer.id, tile);
    this.#container.append(tile.element);
    this.#onChange();
  }

  remove(id: number): void {
    this.#tiles.get(id)?.dispose();
    this.#tiles.delete(id);
    this.#onChange();
  }

  /** Everyone goes (we left, or the connection dropped: ids belong to one connection). */
  clear(): void {
    for (const tile of this.#tiles.values()) tile.dispose();
    this.#tiles.clear();
    this.#onChange();
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
}
