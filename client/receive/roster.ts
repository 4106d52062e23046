// Who is in the room, from the relay's presence messages (welcome, join, leave).
import type { PeerInfo, WelcomeMessage } from "../../protocol/index.ts";
import type { StreamInfo } from "./streams.ts";

export class Roster {
  readonly #peers = new Map<number, StreamInfo>();
  selfId: number | null = null;
  /** The name the relay gave us (a join token's name wins over --name). */
  selfName: string | null = null;

  welcome(message: WelcomeMessage): void {
    this.#peers.clear();
    this.selfId = message.id;
    this.selfName = message.name;
    for (const peer of message.peers) this.join(peer);
  }

  join(peer: PeerInfo): StreamInfo {
    const info = { id: peer.id, name: peer.name };
    this.#peers.set(peer.id, info);
    return info;
  }

  leave(id: number): StreamInfo | undefined {
    const info = this.#peers.get(id);
    this.#peers.delete(id);
    return info;
  }

  /** A sender's stream info; frames can outrun their join message, so unknown ids get a stand-in. */
  streamOf(id: number): StreamInfo {
    let info = this.#peers.get(id);
    if (!info) {
      info = { id, name: `peer-${id}` };
      this.#peers.set(id, info);
    }
    return info;
  }

  get peers(): StreamInfo[] {
    return [...this.#peers.values()];
  }

  clear(): void {
    this.#peers.clear();
    this.selfId = null;
    this.selfName = null;
  }
}
