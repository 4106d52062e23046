// Starts and stops a relay: Elysia for HTTP and upgrades, Bun's native handlers for sockets.
import type { Server } from "bun";
import { CloseCode, encodeControl } from "../protocol/index.ts";
import { registerAckMetrics } from "./delivery/ack-metrics.ts";
import { createAdminCheck } from "./http/admin-access.ts";
import { createApp } from "./http/app.ts";
import { UpgradeGate } from "./security/auth.ts";
import { Cluster } from "./cluster/cluster.ts";
import { registerClusterMetrics } from "./cluster/cluster-metrics.ts";
import type { RelayConfig } from "./config.ts";
import { log } from "./log.ts";
import { createMetricsRegistry } from "./metrics.ts";
import { type Peer, RoomRegistry } from "./rooms.ts";
import { registerSecurityMetrics } from "./security/security-metrics.ts";
import { createSocketHandlers } from "./sockets.ts";
import { tlsOptions } from "./security/tls.ts";

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
  if (config.redisUrl) rooms.cluster = new Cluster(config.redisUrl, rooms, config.maxFrameBytes);
  const registry = createMetricsRegistry(rooms);
  if (rooms.cluster) registerClusterMetrics(registry);
  registerSecurityMetrics(registry);
  registerAckMetrics(registry);
  const gate = new UpgradeGate(config.security);
  const tls = tlsOptions(config.security);
  const app = createApp(rooms, registry, gate, createAdminCheck(config.security));
  const getServer = () => app.server as Server<Peer>;
  app.listen({
    port: config.port,
    hostname: config.host,
    tls,
    // Idle HTTP connections go early; Bun itself drops unfinished requests after ~10 s (slowloris).
    idleTimeout: config.security.httpIdleTimeoutSeconds,
    websocket: createSocketHandlers(config, rooms, getServer),
  });
  const server = getServer();
  const url = `${tls ? "wss" : "ws"}://${server.hostname}:${server.port}`;

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
    await rooms.cluster?.stop(); // after the leaves, so other relays hear them first
    await server.stop(true);
    gate.stop();
    log("notice", "stopped", { closed: sockets.length });
  }

  return { server, rooms, url, stop };
}
