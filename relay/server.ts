// Starts and stops a relay: Elysia for HTTP and upgrades, Bun's native handlers for sockets.
import type { Server } from "bun";
import { CloseCode, encodeControl } from "../protocol/index.ts";
import { createApp } from "./app.ts";
import type { RelayConfig } from "./config.ts";
import { log } from "./log.ts";
import { createMetricsRegistry } from "./metrics.ts";
import { type Peer, RoomRegistry } from "./rooms.ts";
import { createSocketHandlers } from "./sockets.ts";

export interface RunningRelay {
  server: Server<Peer>;
  rooms: RoomRegistry;
  url: string;
  /** Closes every socket with 1001, waits briefly for them to go, then stops listening. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 2000;

export function startRelay(config: RelayConfig): RunningRelay {
  const rooms = new RoomRegistry(config.maxRooms, config.maxPeersPerRoom);
  const app = createApp(rooms, createMetricsRegistry(rooms));
  const getServer = () => app.server as Server<Peer>;
  app.listen({
    port: config.port,
    hostname: config.host,
    websocket: createSocketHandlers(config, rooms, getServer),
  });
  const server = getServer();
  const url = `ws://${server.hostname}:${server.port}`;

  async function stop(): Promise<void> {
    const sockets = [...rooms.allPeers()];
    const goodbye = encodeControl({
      type: "error",
      code: "shutting_down",
      message: "relay shutting down",
    });
    for (const ws of sockets) {
      if (!ws.data.legacy) ws.send(goodbye);
      ws.close(CloseCode.GoingAway, "relay shutting down");
    }
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (rooms.rooms.size > 0 && Date.now() < deadline) await Bun.sleep(10);
    await server.stop(true);
    log("notice", "stopped", { closed: sockets.length });
  }

  return { server, rooms, url, stop };
}
