// Starts and stops a relay: Elysia for HTTP and upgrades, Bun's native handlers for sockets.
import type { Server } from "bun";
import { LocalBus } from "./cluster/local-bus.ts";
import { localDelivery } from "./cluster/local-delivery.ts";
import type { RoomBus } from "./cluster/room-bus.ts";
import type { RelayConfig } from "./config.ts";
import { Fanout } from "./delivery/fanout.ts";
import { registerAckMetrics } from "./delivery/pacing/ack-metrics.ts";
import { registerLayerMetrics } from "./delivery/pacing/layer-metrics.ts";
import { createAdminCheck } from "./http/admin-access.ts";
import { createApp } from "./http/app.ts";
import { debugRoutes } from "./http/debug-routes.ts";
import { log } from "./log.ts";
import { createMetricsRegistry } from "./metrics.ts";
import { registerModerationMetrics } from "./moderation/moderation-metrics.ts";
import { RoomModeration } from "./moderation/room-moderation.ts";
import type { Peer } from "./peer.ts";
import { closeWith, Refusals } from "./refusals.ts";
import { RoomRegistry } from "./rooms.ts";
import { UpgradeGate } from "./security/auth.ts";
import { registerSecurityMetrics } from "./security/security-metrics.ts";
import { tlsOptions } from "./security/tls.ts";
import { createSocketHandlers } from "./sockets.ts";
import { registerWebhookMetrics } from "./webhooks/webhook-metrics.ts";
import { startWebhooks } from "./webhooks/webhooks.ts";

export interface RunningRelay {
  server: Server<Peer>;
  rooms: RoomRegistry;
  url: string;
  /** Closes every socket with 1001, waits briefly for them to go, then stops listening. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 2000;

function advertisedHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (["::", "[::]", "::0"].includes(hostname)) return "[::1]";
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}

/**
 * The room bus, chosen once: the rest of the relay only knows the RoomBus interface. The Redis
 * bus, and ioredis with it, loads only when asked for: a lone relay keeps less code in its heap.
 */
async function chooseBus(config: RelayConfig, rooms: RoomRegistry): Promise<RoomBus> {
  if (!config.redisUrl) return new LocalBus();
  const { RedisBus } = await import("./cluster/redis-bus.ts");
  return new RedisBus(config.redisUrl, rooms, config.maxFrameBytes);
}

export async function startRelay(config: RelayConfig): Promise<RunningRelay> {
  const rooms = new RoomRegistry(config.maxRooms, config.maxPeersPerRoom);
  const bus = await chooseBus(config, rooms);
  const moderation = new RoomModeration(rooms, bus);
  const fanout = new Fanout(config, bus, moderation);
  const registry = createMetricsRegistry(rooms);
  bus.registerMetrics(registry);
  registerSecurityMetrics(registry);
  registerAckMetrics(registry);
  registerLayerMetrics(registry);
  registerWebhookMetrics(registry);
  registerModerationMetrics(registry);
  const webhooks = startWebhooks(config.deploy);
  const readiness = { clustered: config.redisUrl !== null, stopping: false };
  const gate = new UpgradeGate(config.security);
  const tls = tlsOptions(config.security);
  const app = createApp(rooms, bus, registry, gate, createAdminCheck(config.security), {
    trustProxy: config.deploy.trustProxy,
    readiness,
    moderation,
  });
  const getServer = () => app.server as Server<Peer>;
  app.use(
    debugRoutes(
      { rooms, fanout, bus, gate, registry, webhooks, server: getServer },
      createAdminCheck(config.security),
      config.deploy.trustProxy,
    ),
  );
  app.listen({
    port: config.port,
    hostname: config.host,
    tls,
    // Elysia turns SO_REUSEPORT on by default: a second relay would then share the port silently.
    reusePort: config.reusePort,
    // Idle HTTP connections go early; Bun itself drops unfinished requests after ~10 s (slowloris).
    idleTimeout: config.security.httpIdleTimeoutSeconds,
    websocket: createSocketHandlers(config, rooms, bus, fanout, getServer),
  });
  const server = getServer();
  // Bun made the server just now; no socket can open before this returns to the event loop.
  fanout.attach(server);
  bus.deliverTo(localDelivery(server, fanout));
  // ws://0.0.0.0:PORT is no address a client can use: a wildcard bind is advertised as loopback
  // here, and the startup line lists the LAN addresses (page-urls.ts).
  const url = `${tls ? "wss" : "ws"}://${advertisedHost(server.hostname ?? config.host)}:${server.port}`;

  async function stop(): Promise<void> {
    readiness.stopping = true;
    const sockets = [...rooms.allPeers()];
    for (const ws of sockets) closeWith(ws, Refusals.shuttingDown);
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (rooms.rooms.size > 0 && Date.now() < deadline) await Bun.sleep(10);
    await bus.stop(); // after the leaves, so other relays hear them first
    await server.stop(true);
    fanout.pacing.stop();
    gate.stop();
    webhooks.stop();
    log("notice", "stopped", { closed: sockets.length });
  }

  return { server, rooms, url, stop };
}
