// Who else is in the room, from the relay's presence messages (welcome, join, leave, layers), for
// both clients: the CLI's receive side (client/receive/) and the page's tiles (web/watch/). Kept in
// the order people joined.
import type { LayerSize, PeerInfo, WelcomeMessage } from "../protocol/index.ts";

export interface Self {
  id: number;
  /** The name the relay gave us (a join token's name wins over the one asked for). */
  name: string;
}

export class Roster {
  readonly #peers = new Map<number, PeerInfo>();
  #self: Self | null = null;

  /** Ourselves, once welcomed; null before and after a connection. */
  get self(): Self | null {
    return this.#self;
  }

  /** A welcome starts afresh: ids belong to one connection. */
  welcome(message: WelcomeMessage): PeerInfo[] {
    this.#peers.clear();
    this.#self = { id: message.id, name: message.name };
    for (const peer of message.peers) this.#peers.set(peer.id, peer);
    return this.peers;
  }

  /** Someone joined; false when it was already known (a repeated presence entry). */
  join(peer: PeerInfo): boolean {
    const known = this.#peers.has(peer.id);
    this.#peers.set(peer.id, peer);
    return !known;
  }

  leave(id: number): PeerInfo | undefined {
    const peer = this.#peers.get(id);
    this.#peers.delete(id);
    return peer;
  }

  /** A sender announced (or changed) its layers. */
  setLayers(id: number, layers: LayerSize[]): PeerInfo | undefined {
    const peer = this.#peers.get(id);
    if (!peer) return undefined;
    const updated = { ...peer, layers };
    this.#peers.set(id, updated);
    return updated;
  }

  get(id: number): PeerInfo | undefined {
    return this.#peers.get(id);
  }

  /** A sender's entry; frames can outrun their join message, so unknown ids get a stand-in. */
  streamOf(id: number): PeerInfo {
    let peer = this.#peers.get(id);
    if (!peer) {
      peer = { id, name: `peer-${id}`, legacy: false };
      this.#peers.set(id, peer);
    }
    return peer;
  }

  get peers(): PeerInfo[] {
    return [...this.#peers.values()];
  }

  clear(): void {
    this.#peers.clear();
    this.#self = null;
  }
}
