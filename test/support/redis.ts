// A throwaway redis-server for cluster tests: loopback only, a free port, nothing saved to disk.
// Can be stopped and started again on the same port (a Redis restart, as relays see it).

import { type Subprocess, spawn, which } from "bun";
import Redis from "ioredis";
import { freePort } from "../../harness/redis-process.ts";
import { available } from "../../harness/tools.ts";

export const REDIS_SERVER = which("redis-server");
/** Cluster tests skip without redis-server on a developer machine and fail without it in CI. */
export const hasRedis = available(
  "redis-server (apt-get install redis-server)",
  REDIS_SERVER !== null,
);

export class TestRedis {
  #proc: Subprocess<"ignore", "pipe", "pipe"> | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.restart();
    return redis;
  }

  /** Starts redis-server (again) on the same port; resolves once it answers PING. */
  async restart(timeoutMs = 5000): Promise<void> {
    if (!REDIS_SERVER)
      throw new Error("redis-server is not installed (apt-get install redis-server)");
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", ""];
    args.push("--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning");
    this.#proc = spawn([REDIS_SERVER, ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#proc.exitCode !== null) break;
      if ((await this.command("PING")) === "PONG") return;
      await Bun.sleep(50);
    }
    const output = await new Response(this.#proc.stdout).text().catch(() => "");
    await this.stop();
    throw new Error(`redis-server did not start on port ${this.port}: ${output.slice(-500)}`);
  }

  /** SIGKILL: as abrupt as a crash, and no time for a last save (there is none anyway). */
  async stop(): Promise<void> {
    const proc = this.#proc;
    this.#proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGKILL");
    await proc.exited;
  }

  /** One command on a fresh connection; resolves with the reply, or null if Redis is not up. */
  async command(name: string, ...args: string[]): Promise<unknown> {
    const client = new Redis(this.url, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      return await client.call(name, ...args);
    } catch {
      return null;
    } finally {
      client.disconnect();
    }
  }
}
