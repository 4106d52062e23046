// What presence says about everyone's hand, recording and stopped media (peer_update messages,
// docs/PROTOCOL.md "Chat, hands and host controls"), and what this page may do about it: whether
// the relay has host controls at all, whether we moderate, whether the room is locked.
import type { PeerInfo, WelcomeMessage } from "../../protocol/index.ts";

export type ModerationMode = "off" | "member" | "moderator";

export class PeopleStatus {
  readonly #peers = new Map<number, PeerInfo>();
  selfId: number | null = null;
  mode: ModerationMode = "off";
  locked = false;

  welcome(welcome: WelcomeMessage): void {
    this.#peers.clear();
    this.selfId = welcome.id;
    // Relays that predate host controls say nothing: none then.
    this.mode = welcome.moderation ?? "off";
    this.locked = welcome.locked === true;
    for (const peer of welcome.peers) this.#peers.set(peer.id, peer);
  }

  /** A join or a peer_update: the newest presence entry of that participant. */
  set(peer: PeerInfo): void {
    this.#peers.set(peer.id, peer);
  }

  leave(id: number): void {
    this.#peers.delete(id);
  }

  clear(): void {
    this.#peers.clear();
    this.selfId = null;
    this.locked = false;
  }

  get(id: number): PeerInfo | undefined {
    return this.#peers.get(id);
  }

  get self(): PeerInfo | undefined {
    return this.selfId === null ? undefined : this.#peers.get(this.selfId);
  }

  /** Raised hands, first raised first (ties: lower id first). */
  hands(): PeerInfo[] {
    return [...this.#peers.values()]
      .filter((peer) => peer.hand !== undefined)
      .sort((a, b) => (a.hand as number) - (b.hand as number) || a.id - b.id);
  }

  /** 1 for the first hand raised, 2 for the next...; undefined while the hand is down. */
  handPosition(id: number): number | undefined {
    const index = this.hands().findIndex((peer) => peer.id === id);
    return index < 0 ? undefined : index + 1;
  }

  recorders(): PeerInfo[] {
    return [...this.#peers.values()].filter((peer) => peer.recording === true);
  }
}
