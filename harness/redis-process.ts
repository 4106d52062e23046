// A redis-server for the cluster scenario: loopback, a free port, nothing saved. Tracked like
// every other bench process, so a failure or Ctrl-C ends it too.
import { createServer } from "node:net";
import { stopProcess, track } from "./child-processes.ts";

export const REDIS_SERVER = Bun.which("redis-server");

/** A port nothing listens on right now (the kernel picks it; we close it again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface RedisProcess {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisProcess> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed");
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const proc = track(
    Bun.spawn([REDIS_SERVER, ...args, "--loglevel", "warning"], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    }),
  );
  // Ready once it accepts a connection (the relays reconnect with backoff anyway).
  const deadline = Date.now() + 5000;
  for (;;) {
    const up = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (socket) => {
        socket.end();
        return true;
      },
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stopProcess(proc, 100);
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await Bun.sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(proc, 1000) };
}
