// Everyone else: each participant known from presence, and a tile for each one who sends. A tile
// appears once its participant sends something (a frame, its layers, a sound track), so viewers
// and participants who never send (view-only tokens, CLI --no-send) are in the people list only,
// never a "waiting for video" tile. Frames from ids we don't know (one who just left) are ignored.
import type { SenderCryptoState } from "../../client-core/frame-decryptor.ts";
import {
  devicePixels,
  fitInside,
  type LayerRequests,
  layerForTile,
} from "../../client-core/layer-choice.ts";
import { Roster } from "../../client-core/roster.ts";
import {
  type AckedFrame,
  framePayload,
  isKeyFrame,
  type LayerSize,
  type PeerInfo,
  readCaptureTime,
  readLayer,
  readSenderId,
  readSequence,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import { RemoteTile, type TileAudio } from "./remote-tile.ts";
import type { TileActions } from "./tile-view.ts";

export class TileGrid {
  readonly #container: HTMLElement;
  /** Everyone else, in the order they joined (their newest presence entry). */
  readonly #roster = new Roster();
  /** The tiles of those who sent something. */
  readonly #tiles = new Map<number, RemoteTile>();
  readonly #actions: TileActions;
  readonly #ack: (frame: AckedFrame) => void;
  readonly #onChange: () => void;
  readonly #audio: TileAudio | null;
  readonly #requests: LayerRequests | null;
  /** Tiles asking again for a layer when their size changes (layout, window, zoom). */
  readonly #resized: ResizeObserver | null;
  /** Bytes of every frame received (page counters: tests compare them with and without layers). */
  bytesReceived = 0;

  /**
   * `ack` is called once each frame is drawn (or undecodable); `onChange` after a tile comes or
   * goes (the layout and the participant list follow). With `requests`, each tile asks the relay
   * for the smallest layer of its sender that fills it (docs/PROTOCOL.md, Layers).
   */
  constructor(
    container: HTMLElement,
    options: {
      actions: TileActions;
      ack?: (frame: AckedFrame) => void;
      onChange?: () => void;
      requests?: LayerRequests | null;
      /** The room's sound (web/audio/room-audio.ts): speaking ring, mute, lip sync. */
      audio?: TileAudio | null;
    },
  ) {
    this.#audio = options.audio ?? null;
    this.#container = container;
    this.#actions = options.actions;
    this.#ack = options.ack ?? (() => {});
    this.#onChange = options.onChange ?? (() => {});
    const requests = options.requests ?? null;
    this.#requests = requests;
    this.#resized =
      requests && typeof ResizeObserver === "function"
        ? new ResizeObserver((entries) => {
            for (const entry of entries) {
              const id = Number((entry.target as HTMLElement).dataset.peerId);
              const tile = this.#tiles.get(id);
              if (tile) this.#askLayer(tile);
            }
          })
        : null;
  }

  /** A sender's layers (a `layers` message): it shares a camera, so it gets its tile. */
  setLayers(id: number, layers: LayerSize[]): void {
    if (!this.#roster.setLayers(id, layers)) return;
    const tile = this.#tileOf(id);
    if (!tile) return;
    tile.layers = layers;
    this.#askLayer(tile);
  }

  /** A participant announced a sound track: its tile shows who speaks and mutes it locally. */
  sendsSound(id: number): void {
    this.#tileOf(id);
  }

  /** Asks every tile's layer again (after a reconnect's welcome enabled requests). */
  askLayers(): void {
    for (const tile of this.#tiles.values()) this.#askLayer(tile);
  }

  #askLayer(tile: RemoteTile): void {
    const layers = tile.layers;
    const full = layers?.[0];
    if (!this.#requests || !layers || !full || !tile.element.isConnected) return;
    const box = tile.element.getBoundingClientRect();
    const drawn = fitInside({ width: box.width, height: box.height }, full);
    if (drawn.width < 1 || drawn.height < 1) return; // not laid out yet: the observer asks later
    const need = devicePixels(drawn.width, drawn.height, globalThis.devicePixelRatio ?? 1);
    this.#requests.ask(tile.peer.id, layerForTile(layers, need));
  }

  /** Tiles on screen (participants who sent something). */
  get size(): number {
    return this.#tiles.size;
  }

  /** The other participants, in the order they joined, tile or not. */
  get peers(): PeerInfo[] {
    return this.#roster.peers;
  }

  /** Whether this participant has a tile (it sent something). */
  hasTile(id: number): boolean {
    return this.#tiles.has(id);
  }

  /** Someone joined (or was here when we did): listed now, a tile once it sends. */
  add(peer: PeerInfo): void {
    if (!this.#roster.join(peer)) return;
    // Layers in its presence entry: it shares a camera already.
    if (peer.layers) this.#tileOf(peer.id);
    this.#onChange();
  }

  /** The participant's tile, made on the first sign that it sends; undefined for unknown ids. */
  #tileOf(id: number): RemoteTile | undefined {
    const existing = this.#tiles.get(id);
    if (existing) return existing;
    const peer = this.#roster.get(id);
    if (!peer) return undefined;
    const tile = new RemoteTile(peer, this.#actions, this.#audio);
    this.#tiles.set(id, tile);
    this.#container.append(tile.element);
    this.#resized?.observe(tile.element);
    this.#askLayer(tile);
    this.#onChange();
    return tile;
  }

  remove(id: number): void {
    const tile = this.#tiles.get(id);
    if (tile) {
      this.#resized?.unobserve(tile.element);
      tile.dispose();
    }
    this.#tiles.delete(id);
    this.#roster.leave(id);
    this.#requests?.forget(id);
    this.#onChange();
  }

  /** Everyone goes (we left, or the connection dropped: ids belong to one connection). */
  clear(): void {
    this.#disposeTiles();
    this.#roster.clear();
    this.#onChange();
  }

  /** A welcome: everyone here now, listed; a tile for each who already shares a camera. */
  welcome(message: WelcomeMessage): void {
    this.#disposeTiles();
    for (const peer of this.#roster.welcome(message)) if (peer.layers) this.#tileOf(peer.id);
    this.#onChange();
  }

  #disposeTiles(): void {
    for (const tile of this.#tiles.values()) tile.dispose();
    this.#resized?.disconnect();
    this.#tiles.clear();
  }

  /** A valid video frame from the relay (client-core/inbound-frames.ts checked it). */
  frame(message: Uint8Array): void {
    const senderId = readSenderId(message);
    const captureTimeMs = readCaptureTime(message);
    const sequence = readSequence(message);
    this.bytesReceived += message.byteLength;
    const tile = this.#tileOf(senderId);
    // A sender who just left (or not announced yet): skipped, and acked like every skipped frame.
    if (!tile) {
      this.#ack({ senderId, captureTimeMs, sequence });
      return;
    }
    tile.receive(
      {
        jpeg: framePayload(message),
        captureTimeMs,
        done: () => this.#ack({ senderId, captureTimeMs, sequence }),
      },
      readLayer(message),
      message.byteLength,
    );
  }

  /** A valid kind 4 frame (H.264 access unit): to its sender's tile, which decodes it in order. */
  h264Frame(message: Uint8Array): void {
    const senderId = readSenderId(message);
    const captureTimeMs = readCaptureTime(message);
    const sequence = readSequence(message);
    this.bytesReceived += message.byteLength;
    const done = () => this.#ack({ senderId, captureTimeMs, sequence });
    const tile = this.#tileOf(senderId);
    if (!tile) {
      done();
      return;
    }
    tile.receiveH264(
      { jpeg: framePayload(message), captureTimeMs, done },
      isKeyFrame(message),
      readLayer(message),
      message.byteLength,
    );
  }

  /**
   * A frame that was not shown because it could not (or must not) be decrypted: counted on its
   * sender's tile (client-core/inbound-frames.ts acked it).
   */
  undecryptable(senderId: number, state: SenderCryptoState): void {
    this.#tileOf(senderId)?.undecryptable(state);
  }

  refresh(nowMs: number): void {
    for (const tile of this.#tiles.values()) tile.refresh(nowMs);
    this.#container.dataset.bytesReceived = String(this.bytesReceived);
  }
}
