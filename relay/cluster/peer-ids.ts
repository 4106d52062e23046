// Sender ids unique across a cluster: the relay's node id in the top 10 bits, a per-relay
// counter in the low 22. A lone relay never uses this (its ids stay 1, 2, 3...).
import { randomInt } from "node:crypto";

export const MAX_NODE_ID = 1023;
const LOCAL_SPAN = 2 ** 22;

/** The node that allocated a peer id (0 for ids of a lone relay under 2^22). */
export function nodeOfPeer(id: number): number {
  return id >>> 22;
}

export function randomNodeId(): number {
  return randomInt(1, MAX_NODE_ID + 1);
}

export class ClusterPeerIds {
  #next = 1;

  constructor(public nodeId: number) {}

  /** Never 0 in the low bits, so no id is 0 and a node's ids never reach into the next node. */
  allocate(): number {
    const id = this.nodeId * LOCAL_SPAN + this.#next;
    this.#next = this.#next >= LOCAL_SPAN - 1 ? 1 : this.#next + 1;
    return id;
  }
}
