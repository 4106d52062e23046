// A roster: who one relay has in one room. It is the only control message on the bus and the
// value kept in Redis, always whole, so a lost or reordered message is healed by the next one.
import { type PeerInfo, validLayerList } from "../../protocol/index.ts";
import { MAX_NODE_ID, nodeOfPeer } from "./peer-ids.ts";

export interface Roster {
  node: number;
  /** Grows with every roster a node sends (across its restarts too): newest wins. */
  version: number;
  peers: PeerInfo[];
}

const MAX_ROSTER_PEERS = 100_000;
const MAX_NAME_LENGTH = 256;

export function encodeRoster(roster: Roster): string {
  return JSON.stringify({ type: "roster", ...roster });
}

function isPeerOf(node: number, value: unknown): value is PeerInfo {
  if (typeof value !== "object" || value === null) return false;
  const { id, name, legacy } = value as Record<string, unknown>;
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
    peers: peers.map((p: PeerInfo) => {
      const peer: PeerInfo = { id: p.id, name: p.name, legacy: p.legacy };
      // The sizes it sends (docs/PROTOCOL.md, Layers): kept when valid, dropped otherwise.
      const layers = p.layers === undefined ? null : validLayerList(p.layers);
      if (layers) peer.layers = layers;
      if (p.e2ee === true) peer.e2ee = true;
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
