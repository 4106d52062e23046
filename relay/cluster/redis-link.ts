// The relay's two Redis connections (commands, and a subscriber, which Redis keeps apart), one
// "up" state for both, reconnection with capped exponential backoff, and one log line per
// transition. Nothing is queued while down: callers check `up` and resync on `onUp`.
import Redis, { type RedisOptions } from "ioredis";
import { Backoff } from "../../client-core/backoff.ts";
import { log } from "../log.ts";
import {
  BUS_BACKLOG_LIMIT_BYTES,
  RETRY_FIRST_MS,
  RETRY_MAX_MS,
  redactedRedisUrl,
} from "./cluster-config.ts";

export interface LinkHandlers {
  onUp(): void;
  onDown(): void;
  /** Binary-safe: channel and payload are the bytes Redis delivered. */
  onMessage(channel: Buffer, message: Buffer): void;
}

/**
 * The clients' reconnect backoff (client-core/backoff.ts): capped, exponential, with jitter so
 * relays do not reconnect in lockstep. One per connection, reset once it is ready again.
 */
export function redisBackoff(): Backoff {
  return new Backoff({ initialMs: RETRY_FIRST_MS, maxMs: RETRY_MAX_MS });
}

export class RedisLink {
  readonly commands: Redis;
  readonly subscriber: Redis;
  up = false;
  #readyCount = 0;
  #downSince = Date.now();
  #lastError = "";
  #closing = false;
  readonly #where: string;

  constructor(url: string, handlers: LinkHandlers) {
    this.#where = redactedRedisUrl(url);
    const options: RedisOptions = {
      // Fail fast while down: frames must not pile up in an offline queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Subscriptions are ours to restore (after a resync of rosters), not ioredis's.
      autoResubscribe: false,
      connectTimeout: 2000,
    };
    const connect = (connectionName: string) => {
      const backoff = redisBackoff();
      const connection = new Redis(url, {
        ...options,
        connectionName,
        retryStrategy: (attempt) => {
          const delay = Math.round(backoff.next());
          log("debug", "cluster_link_retry", { redis: this.#where, attempt, delayMs: delay });
          return delay;
        },
      });
      connection.on("ready", () => backoff.reset());
      return connection;
    };
    this.commands = connect("framecast-relay");
    this.subscriber = connect("framecast-relay-sub");
    this.subscriber.on("messageBuffer", handlers.onMessage);
    for (const connection of [this.commands, this.subscriber]) {
      let ready = false;
      connection.on("ready", () => {
        if (ready) return;
        ready = true;
        this.#readyCount++;
        if (this.#readyCount === 2) {
          this.up = true;
          log("notice", "cluster_link_up", {
            redis: this.#where,
            downMs: Date.now() - this.#downSince,
          });
          handlers.onUp();
        }
      });
      connection.on("close", () => {
        if (!ready) return;
        ready = false;
        this.#readyCount--;
        if (this.up) {
          this.up = false;
          this.#downSince = Date.now();
          if (!this.#closing) {
            log("warn", "cluster_link_down", {
              redis: this.#where,
              error: this.#lastError || "connection closed",
              note: "local rooms keep working; retrying with backoff",
            });
          }
          handlers.onDown();
        }
      });
      // Without a listener ioredis would print every failed attempt; the transitions say enough.
      connection.on("error", (error: Error) => {
        this.#lastError = error.message;
      });
    }
  }

  /** True when the command connection has too much unsent: frames should skip the bus. */
  backlogged(): boolean {
    return (this.commands.stream?.writableLength ?? 0) > BUS_BACKLOG_LIMIT_BYTES;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [this.commands, this.subscriber].map(async (connection) => {
        try {
          await Promise.race([connection.quit(), Bun.sleep(1000)]);
        } catch {
          // Already down: nothing to say goodbye to.
        }
        connection.disconnect();
      }),
    );
  }
}
