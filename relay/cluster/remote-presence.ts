// Who other relays have in one room, built from their rosters. Turns each roster into the
// join/leave messages local peers need, and counts the relays that want this room's frames.
import type { PeerInfo } from "../../protocol/index.ts";
import type { Roster } from "./roster.ts";

export interface PresenceChange {
  joined: PeerInfo[];
  left: number[];
  /** Peers still there whose layers changed (docs/PROTOCOL.md, Layers). */
  relayered: PeerInfo[];
}

function sameLayers(a: PeerInfo, b: PeerInfo): boolean {
  return JSON.stringify(a.layers ?? null) === JSON.stringify(b.layers ?? null);
}

interface NodeRoster {
  version: number;
  peers: Map<number, PeerInfo>;
}

export class RemotePresence {
  readonly #nodes = new Map<number, NodeRoster>();

  /** Relays other than this one with at least one participant in the room. */
  get remoteNodes(): number {
    let count = 0;
    for (const roster of this.#nodes.values()) if (roster.peers.size > 0) count++;
    return count;
  }

  nodes(): IterableIterator<number> {
    return this.#nodes.keys();
  }

  peers(): PeerInfo[] {
    const list: PeerInfo[] = [];
    for (const roster of this.#nodes.values()) list.push(...roster.peers.values());
    return list;
  }

  /** Takes a roster if newer than what we hold; returns what changed (null: nothing). */
  apply(roster: Roster): PresenceChange | null {
    const known = this.#nodes.get(roster.node);
    if (known && known.version >= roster.version) return null;
    const next = new Map(roster.peers.map((peer) => [peer.id, peer]));
    const joined = roster.peers.filter((peer) => !known?.peers.has(peer.id));
    const left = known ? [...known.peers.keys()].filter((id) => !next.has(id)) : [];
    const relayered = roster.peers.filter((peer) => {
      const before = known?.peers.get(peer.id);
      return before !== undefined && !sameLayers(before, peer);
    });
    // An empty roster stays as a tombstone, so an older one arriving late cannot revive it.
    this.#nodes.set(roster.node, { version: roster.version, peers: next });
    return joined.length > 0 || left.length > 0 || relayered.length > 0
      ? { joined, left, relayered }
      : null;
  }

  /** The node is gone (its heartbeat expired): every one of its peers leaves. */
  dropNode(node: number): number[] {
    const roster = this.#nodes.get(node);
    this.#nodes.delete(node);
    return roster ? [...roster.peers.keys()] : [];
  }
}
