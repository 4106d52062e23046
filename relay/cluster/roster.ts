// A roster: who one relay has in one room. It is the only control message on the bus and the
// value kept in Redis, always whole, so a lost or reordered message is healed by the next one.
import {
  type AudioTrackInfo,
  MEDIA_KINDS,
  type PeerInfo,
  readAudioTrack,
  validLayerList,
} from "../../protocol/index.ts";
import { peerInfo } from "../peer.ts";
import type { Room } from "../rooms.ts";
import { MAX_NODE_ID, nodeOfPeer } from "./peer-ids.ts";

/** A participant as other relays learn it: its presence entry, plus relay-only state. */
export interface RosterPeer extends PeerInfo {
  /** Its newest `audio_track` (docs/PROTOCOL.md, Audio), once it announced one. */
  audio?: AudioTrackInfo;
}

export interface Roster {
  node: number;
  /** Grows with every roster a node sends (across its restarts too): newest wins. */
  version: number;
  peers: RosterPeer[];
}

/** This relay's participants in `room`, as its roster lists them. */
export function rosterPeers(room: Room): RosterPeer[] {
  // Screen shares too, marked by source and owner: other relays show them only to their takers.
  return [...room.peers.values()].map((ws) => {
    const peer: RosterPeer = peerInfo(ws.data);
    if (ws.data.audioTrack) peer.audio = ws.data.audioTrack;
    return peer;
  });
}

/** The presence entry alone (what `welcome` and `join` carry), without relay-only state. */
export function presenceOf(peer: RosterPeer): PeerInfo {
  const { audio: _, ...info } = peer;
  return info;
}

/** A roster entry's track, checked like a sender's own announcement; null when not valid. */
function validAudioTrack(value: unknown): AudioTrackInfo | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  return readAudioTrack({ ...value, type: "audio_track" });
}

const MAX_ROSTER_PEERS = 100_000;
const MAX_NAME_LENGTH = 256;

export function encodeRoster(roster: Roster): string {
  return JSON.stringify({ type: "roster", ...roster });
}

function isPeerOf(node: number, value: unknown): value is PeerInfo {
  if (typeof value !== "object" || value === null) return false;
  const { id, name, legacy, source, owner } = value as Record<string, unknown>;
  // A share names its owner, a participant of the same relay; anything else in `source` is
  // refused (it would otherwise pass for a camera, seen by everyone).
  if (source !== undefined) {
    if (source !== "screen" || !Number.isInteger(owner) || (owner as number) <= 0) return false;
    if ((owner as number) > 0xffffffff || nodeOfPeer(owner as number) !== node) return false;
  }
  return (
    Number.isInteger(id) &&
    (id as number) > 0 &&
    (id as number) <= 0xffffffff &&
    nodeOfPeer(id as number) === node &&
    typeof name === "string" &&
    name.length <= MAX_NAME_LENGTH &&
    typeof legacy === "boolean"
  );
}

/** The roster in `text`, or null if it is not one (another version's message, garbage). */
export function decodeRoster(text: string): Roster | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { type, node, version, peers } = value as Record<string, unknown>;
  if (type !== "roster" || !Number.isInteger(node)) return null;
  if ((node as number) < 1 || (node as number) > MAX_NODE_ID) return null;
  if (typeof version !== "number" || !Number.isFinite(version)) return null;
  if (!Array.isArray(peers) || peers.length > MAX_ROSTER_PEERS) return null;
  if (!peers.every((peer) => isPeerOf(node as number, peer))) return null;
  return {
    node: node as number,
    version,
    peers: peers.map((p: RosterPeer) => {
      const peer: RosterPeer = { id: p.id, name: p.name, legacy: p.legacy };
      // The sizes it sends (docs/PROTOCOL.md, Layers): kept when valid, dropped otherwise.
      const layers = p.layers === undefined ? null : validLayerList(p.layers);
      if (layers) peer.layers = layers;
      if (p.e2ee === true) peer.e2ee = true;
      if (p.h264 === true) peer.h264 = true;
      if (p.viewOnly === true) peer.viewOnly = true;
      if (p.source === "screen") {
        peer.source = "screen";
        peer.owner = p.owner as number;
      }
      // Hands, recording, moderator and stopped media (docs/PROTOCOL.md, Chat, hands and host controls).
      if (typeof p.hand === "number" && Number.isFinite(p.hand)) peer.hand = p.hand;
      if (p.recording === true) peer.recording = true;
      if (p.moderator === true) peer.moderator = true;
      const stopped = Array.isArray(p.stopped)
        ? MEDIA_KINDS.filter((kind) => p.stopped?.includes(kind))
        : [];
      if (stopped.length > 0) peer.stopped = stopped;
      // Its audio track, checked like the sender's own announcement: dropped when not valid.
      const audio = p.audio === undefined ? null : validAudioTrack(p.audio);
      if (audio) peer.audio = audio;
      return peer;
    }),
  };
}

/** Versions for this relay's rosters: increasing, and above any it sent before a restart. */
export class RosterVersions {
  #last = 0;

  next(): number {
    this.#last = Math.max(this.#last + 1, Date.now());
    return this.#last;
  }
}
