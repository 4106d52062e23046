// Redis key and channel names. Room names are [A-Za-z0-9_-]{1,64}, so ":" never appears in one.
const PREFIX = "framecast:";
const FRAME_PREFIX = `${PREFIX}f:`;
const CONTROL_PREFIX = `${PREFIX}c:`;

/** A relay's liveness key, holding its instance token; expires unless refreshed. */
export function nodeKey(node: number): string {
  return `${PREFIX}node:${node}`;
}

/** Hash of a room's rosters: field = node id, value = that node's roster JSON. */
export function roomKey(room: string): string {
  return `${PREFIX}room:${room}`;
}

/** Binary v1 frames of a room, exactly as the origin relay stamped them. */
export function frameChannel(room: string): string {
  return `${FRAME_PREFIX}${room}`;
}

/** Roster JSON of a room (who is on which relay). */
export function controlChannel(room: string): string {
  return `${CONTROL_PREFIX}${room}`;
}

/** A removed token's deny entry (relay/moderation/), expiring with the token. */
export function denyKey(tokenId: string): string {
  return `${PREFIX}deny:${tokenId}`;
}

/** Present while a moderator has the room locked. */
export function lockKey(room: string): string {
  return `${PREFIX}lock:${room}`;
}

/** Token ids in a locked room when it was locked: they may reconnect while it stays locked. */
export function seatedKey(room: string): string {
  return `${PREFIX}seated:${room}`;
}

export type BusChannel = { kind: "frames" | "control"; room: string };

export function parseChannel(channel: string): BusChannel | null {
  if (channel.startsWith(FRAME_PREFIX)) {
    return { kind: "frames", room: channel.slice(FRAME_PREFIX.length) };
  }
  if (channel.startsWith(CONTROL_PREFIX)) {
    return { kind: "control", room: channel.slice(CONTROL_PREFIX.length) };
  }
  return null;
}
