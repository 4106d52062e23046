// Cluster settings: the --redis URL check, and the timings every relay of a cluster shares.

/** How often a relay refreshes its node key (and, every few beats, its room rosters). */
export const HEARTBEAT_MS = 1000;
/** A relay whose node key is this old is dead: its peers leave the others' presence. */
export const NODE_TTL_MS = 3000;
/** Rosters are rewritten every this many heartbeats, which also heals a lost write. */
export const ROSTER_REFRESH_BEATS = 5;
/** A room's roster hash outlives its last refresh by this much (then Redis drops it). */
export const ROOM_TTL_MS = 15_000;
/** Reconnect backoff to Redis: doubles from the first to the last, with jitter. */
export const RETRY_FIRST_MS = 100;
export const RETRY_MAX_MS = 2000;
/**
 * A Redis that has just started (or restarted empty) holds no node keys until every relay has
 * reconnected: no relay is declared dead before Redis has been up this long.
 */
export const SWEEP_GRACE_MS = NODE_TTL_MS + RETRY_MAX_MS;
/** Bytes queued to Redis past which frames skip the bus instead of piling up in memory. */
export const BUS_BACKLOG_LIMIT_BYTES = 8 << 20;

/** Null when `text` is a usable Redis URL, else what is wrong with it. */
export function redisUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `--redis: not a URL: "${text}" (expected redis://HOST:6379)`;
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    return `--redis: use redis:// or rediss://, not "${url.protocol}"`;
  }
  if (url.hostname === "") return `--redis: no host in "${text}"`;
  return null;
}

/** The URL without its password, for logs. */
export function redactedRedisUrl(text: string): string {
  const url = new URL(text);
  if (url.password) url.password = "***";
  return url.toString();
}
