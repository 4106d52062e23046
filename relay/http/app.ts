// HTTP side of the relay on Elysia: health, metrics, room list, and the WebSocket upgrade checks.
// Upgrades hand the socket to Bun's native handlers (sockets.ts); frames never pass through Elysia.
import { Elysia } from "elysia";
import type { Registry } from "prom-client";
import {
  cleanName,
  isValidRoomName,
  LEGACY_ROOM,
  parseJoinOptions,
  REFUSAL_PROBE_HEADER,
} from "../../protocol/index.ts";
import type { RoomBus } from "../cluster/room-bus.ts";
import { log } from "../log.ts";
import { MODERATION_REFUSALS, type RoomModeration } from "../moderation/room-moderation.ts";
import { newPeer, type Peer } from "../peer.ts";
import type { RoomRegistry } from "../rooms.ts";
import type { UpgradeGate } from "../security/auth.ts";
import { countRefusedJoin } from "../stats.ts";
import type { AdminCheck } from "./admin-access.ts";
import { adminModerationRoutes } from "./admin-moderation.ts";
import { clientAddress } from "./client-address.ts";
import { type Readiness, readinessRoute } from "./readiness.ts";
import { forwardedPrefix, pageResponse, webPage } from "./web-page.ts";

function isUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

function isRefusalProbe(request: Request): boolean {
  return request.headers.get(REFUSAL_PROBE_HEADER) !== null;
}

function peerFor(bus: RoomBus, roomName: string, rawName: string | null, legacy: boolean): Peer {
  const id = bus.allocatePeerId();
  return newPeer(id, cleanName(rawName, `${legacy ? "legacy" : "guest"}-${id}`), legacy, roomName);
}

export function createApp(
  rooms: RoomRegistry,
  bus: RoomBus,
  metrics: Registry,
  gate: UpgradeGate,
  adminCheck: AdminCheck,
  deploy: { trustProxy: readonly string[]; readiness: Readiness; moderation?: RoomModeration } = {
    trustProxy: [],
    readiness: { clustered: false, stopping: false },
  },
) {
  const moderation = deploy.moderation ?? null;
  /** A denied token or a locked room: refused before the upgrade, in the words the page shows. */
  const moderationRefusal = async (
    request: Request,
    room: string,
    admission: Parameters<RoomModeration["joinRefusal"]>[1],
  ): Promise<Response | null> => {
    const reason = moderation ? await moderation.joinRefusal(room, admission) : null;
    if (reason === null) return null;
    if (!isRefusalProbe(request)) {
      countRefusedJoin(reason);
      log("warn", "join_refused", { room, reason });
    }
    const { status, message } = MODERATION_REFUSALS[reason];
    return new Response(`${message}\n`, {
      status,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  };
  const addressOf = (request: Request, server: Elysia["server"]) =>
    clientAddress(request, server?.requestIP(request)?.address, deploy.trustProxy);
  const plain = (status: number, body: string) =>
    new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

  /** Upgrades to a WebSocket carrying `peer`; Bun answers the 101 itself when this succeeds. */
  const upgrade = (request: Request, server: Elysia["server"], peer: Peer) => {
    if (server?.upgrade(request, { data: peer })) return undefined;
    // A refusal probe lands here when the relay would now take the client: not a refused join.
    if (!isRefusalProbe(request)) countRefusedJoin("bad_upgrade");
    return plain(400, "WebSocket upgrade failed: check the Sec-WebSocket-* headers");
  };

  return new Elysia()
    .use(webPage)
    .use(
      adminModerationRoutes(moderation, bus, (request, server) =>
        adminCheck(request, addressOf(request, server)),
      ),
    )
    .get("/healthz", () => plain(200, "ok"))
    .use(readinessRoute(deploy.readiness))
    .get("/metrics", async ({ request, server }) => {
      const denied = adminCheck(request, addressOf(request, server));
      if (denied) return denied;
      return new Response(await metrics.metrics(), {
        headers: { "content-type": metrics.contentType },
      });
    })
    .get("/v1/rooms", ({ request, server }) => {
      const denied = adminCheck(request, addressOf(request, server));
      if (denied) return denied;
      return {
        rooms: [...rooms.rooms.values()].map((room) => ({
          name: room.name,
          peers: room.size,
          legacyPeers: room.legacyPeers,
        })),
      };
    })
    .get("/v1/rooms/:room", async ({ params, request, server }) => {
      if (!isValidRoomName(params.room)) {
        if (!isRefusalProbe(request)) {
          countRefusedJoin("bad_room");
          log("warn", "join_refused", { room: params.room.slice(0, 80), reason: "bad_room" });
        }
        return plain(400, "invalid room name: use 1-64 characters of A-Z a-z 0-9 _ -");
      }
      // The checks come before the upgrade test: a browser can't see why a WebSocket was refused,
      // so the page asks with a plain GET and reads the same 401/403 and reason (426 = would pass).
      const admission = await gate.check(request, addressOf(request, server), params.room);
      if (admission instanceof Response) return admission;
      const refused = await moderationRefusal(request, params.room, admission);
      if (refused) return refused;
      if (!isUpgrade(request)) return plain(426, "this endpoint takes a WebSocket upgrade");
      // In a cluster: learn who is on the other relays first, for this peer's welcome.
      await bus.prepareRoom(params.room);
      // ...and the room's chat history, when this relay has nobody in it yet.
      await moderation?.prepareJoin(params.room);
      const peer = peerFor(bus, params.room, admission.name, false);
      peer.canPublish = admission.canPublish;
      peer.canModerate = admission.canModerate;
      peer.token = admission.token;
      peer.joinedLocked = moderation !== null && (await moderation.isLocked(params.room));
      const join = parseJoinOptions(request.url);
      peer.acks = join.ack;
      // Layers need acks (parseJoinOptions says so): the relay reads a receiver's link from them.
      peer.layered = join.layers;
      peer.audio = join.audio;
      peer.e2ee = join.e2ee;
      peer.h264 = join.h264;
      peer.shares = join.shares;
      peer.screenClaim = join.screen;
      peer.badSource = join.badSource;
      peer.address = addressOf(request, server);
      return upgrade(request, server, peer);
    })
    .get("/", async ({ request, server }) => {
      // A browser gets the web client; the WebSocket upgrade below still speaks the legacy (old base64) protocol.
      if (!isUpgrade(request)) return pageResponse(forwardedPrefix(request));
      const admission = await gate.check(request, addressOf(request, server), LEGACY_ROOM);
      if (admission instanceof Response) return admission;
      const refused = await moderationRefusal(request, LEGACY_ROOM, admission);
      if (refused) return refused;
      const peer = peerFor(bus, LEGACY_ROOM, admission.name, true);
      peer.canPublish = admission.canPublish;
      peer.token = admission.token;
      return upgrade(request, server, peer);
    });
}
