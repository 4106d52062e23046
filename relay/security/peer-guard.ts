// Rate-limit and permission state of one connection, merged into the relay's Peer (relay/peer.ts)
// and checked by relay/security/rate-limit.ts. A leaf: the peer's state needs no limits logic.
/** Rate-limit and permission state of one connection (merged into the relay's Peer). */
export interface PeerGuard {
  /** From the join token: false for view-only holders, whose frames are dropped. */
  canPublish: boolean;
  frameTokens: number;
  byteTokens: number;
  controlTokens: number;
  /** Acks have their own budget: a receiver legitimately acks every frame of every sender. */
  ackTokens: number;
  /** Audio packets have their own budget: 50 a second per stream, whatever the video does. */
  audioTokens: number;
  /** performance.now() at the last refill. */
  refilledAt: number;
  /** Recent drops, leaking away over time; past STRIKE_LIMIT the socket is closed. */
  strikes: number;
  /** Messages dropped by the rate limits. */
  limited: number;
  /** Frames dropped because the join token does not allow publishing. */
  viewOnlyDropped: number;
}

/** Fresh state: buckets start at Infinity and are clipped to their capacity on first use. */
export function newPeerGuard(canPublish: boolean): PeerGuard {
  return {
    canPublish,
    frameTokens: Number.POSITIVE_INFINITY,
    byteTokens: Number.POSITIVE_INFINITY,
    controlTokens: Number.POSITIVE_INFINITY,
    ackTokens: Number.POSITIVE_INFINITY,
    audioTokens: Number.POSITIVE_INFINITY,
    refilledAt: performance.now(),
    strikes: 0,
    limited: 0,
    viewOnlyDropped: 0,
  };
}
