// HTTP side of the relay on Elysia: health, metrics, room list, and the WebSocket upgrade checks.
// Upgrades hand the socket to Bun's native handlers (sockets.ts); frames never pass through Elysia.
import { Elysia } from "elysia";
import type { Registry } from "prom-client";
import { cleanName, isValidRoomName, LEGACY_ROOM } from "../protocol/index.ts";
import { log } from "./log.ts";
import { countRefusedJoin } from "./metrics.ts";
import type { Peer, RoomRegistry } from "./rooms.ts";

function isUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

function newPeer(
  rooms: RoomRegistry,
  roomName: string,
  rawName: string | null,
  legacy: boolean,
): Peer {
  const id = rooms.allocatePeerId();
  return {
    id,
    name: cleanName(rawName, `${legacy ? "legacy" : "guest"}-${id}`),
    legacy,
    roomName,
    room: undefined,
    legacySequence: 0,
    framesDropped: 0,
    rejected: 0,
    joinedAt: Date.now(),
  };
}

export function createApp(rooms: RoomRegistry, metrics: Registry) {
  const plain = (status: number, body: string) =>
    new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

  /** Upgrades to a WebSocket carrying `peer`; Bun answers the 101 itself when this succeeds. */
  const upgrade = (request: Request, server: Elysia["server"], peer: Peer) => {
    if (server?.upgrade(request, { data: peer })) return undefined;
    countRefusedJoin("bad_upgrade");
    return plain(400, "WebSocket upgrade failed: check the Sec-WebSocket-* headers");
  };

  return new Elysia()
    .get("/healthz", () => plain(200, "ok"))
    .get("/metrics", async () => {
      return new Response(await metrics.metrics(), {
        headers: { "content-type": metrics.contentType },
      });
    })
    .get("/v1/rooms", () => ({
      rooms: [...rooms.rooms.values()].map((room) => ({
        name: room.name,
        peers: room.size,
        legacyPeers: room.legacyPeers,
      })),
    }))
    .get("/v1/rooms/:room", ({ params, request, server }) => {
      if (!isValidRoomName(params.room)) {
        countRefusedJoin("bad_room");
        log("warn", "join_refused", { room: params.room.slice(0, 80), reason: "bad_room" });
        return plain(400, "invalid room name: use 1-64 characters of A-Z a-z 0-9 _ -");
      }
      if (!isUpgrade(request)) return plain(426, "this endpoint takes a WebSocket upgrade");
      const name = new URL(request.url).searchParams.get("name");
      return upgrade(request, server, newPeer(rooms, params.room, name, false));
    })
    .get("/", ({ request, server }) => {
      if (!isUpgrade(request)) {
        return plain(
          200,
          "framecast relay. WebSocket: /v1/rooms/ROOM?name=NAME (protocol v1), / (old base64 protocol).",
        );
      }
      const name = new URL(request.url).searchParams.get("name");
      return upgrade(request, server, newPeer(rooms, LEGACY_ROOM, name, true));
    });
}
