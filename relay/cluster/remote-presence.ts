// Who other relays have in one room, built from their rosters. Turns each roster into the
// join/leave messages local peers need, and counts the relays that want this room's frames.
import { type AudioTrackMessage, audioTrackMessage, type PeerInfo } from "../../protocol/index.ts";
import { nodeOfPeer } from "./peer-ids.ts";
import { presenceOf, type Roster, type RosterPeer } from "./roster.ts";

export interface PresenceChange {
  /** Presence entries of the newcomers (no relay-only state). */
  joined: PeerInfo[];
  left: number[];
  /** Peers still there whose layers changed (docs/PROTOCOL.md, Layers). */
  relayered: PeerInfo[];
  /** Senders (new or not) whose audio track is new or changed, e.g. muted (Audio). */
  retracked: AudioTrackMessage[];
  /** Peers still there whose hand, recording or stopped media changed (peer_update). */
  updated?: PeerInfo[];
}

/** The presence fields a peer_update carries news of. */
function statusOf(peer: PeerInfo): string {
  return JSON.stringify([peer.hand ?? null, peer.recording ?? false, peer.stopped ?? []]);
}

function sameLayers(a: PeerInfo, b: PeerInfo): boolean {
  return JSON.stringify(a.layers ?? null) === JSON.stringify(b.layers ?? null);
}

/** Tracks come out of decodeRoster normalised (same fields, same order): text compares them. */
function sameTrack(a: RosterPeer | undefined, b: RosterPeer): boolean {
  return JSON.stringify(a?.audio ?? null) === JSON.stringify(b.audio ?? null);
}

interface NodeRoster {
  version: number;
  peers: Map<number, RosterPeer>;
}

export class RemotePresence {
  readonly #nodes = new Map<number, NodeRoster>();

  /** Relays other than this one with at least one participant in the room. */
  get remoteNodes(): number {
    let count = 0;
    for (const roster of this.#nodes.values()) if (roster.peers.size > 0) count++;
    return count;
  }

  /** Rosters held (empty ones are tombstones) and the peers in them (GET /debug/counts). */
  counts(): { rosters: number; peers: number } {
    let peers = 0;
    for (const roster of this.#nodes.values()) peers += roster.peers.size;
    return { rosters: this.#nodes.size, peers };
  }

  nodes(): IterableIterator<number> {
    return this.#nodes.keys();
  }

  /** Their presence entries, for a newcomer's `welcome`. */
  peers(): PeerInfo[] {
    const list: PeerInfo[] = [];
    for (const roster of this.#nodes.values()) {
      for (const peer of roster.peers.values()) list.push(presenceOf(peer));
    }
    return list;
  }

  /** Their screen shares: share id → owner id (relay/screen-shares.ts). */
  shareOwners(): Map<number, number> {
    const shares = new Map<number, number>();
    for (const roster of this.#nodes.values()) {
      for (const peer of roster.peers.values()) {
        if (peer.source === "screen" && peer.owner !== undefined) shares.set(peer.id, peer.owner);
      }
    }
    return shares;
  }

  /** Whether `id` is a participant of another relay's roster (frames of anyone else are dropped). */
  has(id: number): boolean {
    return this.#nodes.get(nodeOfPeer(id))?.peers.has(id) ?? false;
  }

  /** Their newest audio tracks, replayed to a newcomer after its welcome like local ones. */
  audioTracks(): AudioTrackMessage[] {
    const list: AudioTrackMessage[] = [];
    for (const roster of this.#nodes.values()) {
      for (const peer of roster.peers.values()) {
        if (peer.audio) list.push(audioTrackMessage(peer.id, peer.audio));
      }
    }
    return list;
  }

  /** Takes a roster if newer than what we hold; returns what changed (null: nothing). */
  apply(roster: Roster): PresenceChange | null {
    const known = this.#nodes.get(roster.node);
    if (known && known.version >= roster.version) return null;
    const next = new Map(roster.peers.map((peer) => [peer.id, peer]));
    const joined = roster.peers.filter((peer) => !known?.peers.has(peer.id)).map(presenceOf);
    const left = known ? [...known.peers.keys()].filter((id) => !next.has(id)) : [];
    const relayered = roster.peers
      .filter((peer) => {
        const before = known?.peers.get(peer.id);
        return before !== undefined && !sameLayers(before, peer);
      })
      .map(presenceOf);
    // A track is never withdrawn while its sender stays (only replaced): nothing to say then.
    const retracked = roster.peers
      .filter((peer) => peer.audio && !sameTrack(known?.peers.get(peer.id), peer))
      .map((peer) => audioTrackMessage(peer.id, peer.audio as NonNullable<RosterPeer["audio"]>));
    const updated = roster.peers
      .filter((peer) => {
        const before = known?.peers.get(peer.id);
        return before !== undefined && statusOf(before) !== statusOf(peer);
      })
      .map(presenceOf);
    // An empty roster stays as a tombstone, so an older one arriving late cannot revive it.
    this.#nodes.set(roster.node, { version: roster.version, peers: next });
    if (updated.length > 0) return { joined, left, relayered, retracked, updated };
    return joined.length > 0 || left.length > 0 || relayered.length > 0 || retracked.length > 0
      ? { joined, left, relayered, retracked }
      : null;
  }

  /** The node is gone (its heartbeat expired): every one of its peers leaves. */
  dropNode(node: number): number[] {
    const roster = this.#nodes.get(node);
    this.#nodes.delete(node);
    return roster ? [...roster.peers.keys()] : [];
  }
}
