// Host controls over HTTP, for whoever holds the admin token (relay/http/admin-access.ts): list a
// room's participants, remove one (its token is denied), stop or allow its media, lock and unlock
// the room, lower every hand, end the call. The same actions as a moderator's, by "admin".
import { Elysia } from "elysia";
import { isValidRoomName, MEDIA_KINDS, type MediaKind } from "../../protocol/index.ts";
import type { RoomBus } from "../cluster/room-bus.ts";
import type { RoomModeration } from "../moderation/room-moderation.ts";

type Check = (request: Request, server: Elysia["server"]) => Response | null;

const text = (status: number, body: string) =>
  new Response(`${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
const done = () => new Response(null, { status: 204 });

function peerId(raw: string): number | null {
  const id = Number(raw);
  return Number.isInteger(id) && id > 0 && id <= 0xffffffff ? id : null;
}

export function adminModerationRoutes(
  moderation: RoomModeration | null,
  bus: RoomBus,
  check: Check,
) {
  /** The room, once the caller is allowed and the name is valid; else the refusal. */
  const guard = async (request: Request, server: Elysia["server"], room: string) => {
    const denied = check(request, server);
    if (denied) return denied;
    if (!moderation) return text(404, "host controls are not enabled on this relay");
    if (!isValidRoomName(room)) return text(400, "invalid room name");
    // In a cluster: learn who is on the other relays first.
    await bus.prepareRoom(room);
    return moderation;
  };

  return new Elysia()
    .get("/v1/rooms/:room/participants", async ({ params, request, server }) => {
      const m = await guard(request, server, params.room);
      if (m instanceof Response) return m;
      const participants = m.participants(params.room);
      if (!participants) return text(404, "nobody is in that room");
      return Response.json({ room: params.room, participants });
    })
    .delete("/v1/rooms/:room/participants/:id", async ({ params, request, server }) => {
      const m = await guard(request, server, params.room);
      if (m instanceof Response) return m;
      const id = peerId(params.id);
      if (id === null) return text(400, "participant ids are integers from 1 to 4294967295");
      return m.adminTarget(params.room, id, "remove") === "ok"
        ? done()
        : text(404, "no participant with that id in that room");
    })
    .post("/v1/rooms/:room/participants/:id/:action", async ({ params, request, server }) => {
      // stop-camera, allow-sound, mute... : POST /v1/rooms/ROOM/participants/ID/stop-sound
      const m = await guard(request, server, params.room);
      if (m instanceof Response) return m;
      const id = peerId(params.id);
      if (id === null) return text(400, "participant ids are integers from 1 to 4294967295");
      const [verb, media] = params.action.split("-") as [string, MediaKind | undefined];
      if (verb === "mute" && media === undefined) {
        return m.adminTarget(params.room, id, "mute") === "ok"
          ? done()
          : text(404, "no such participant");
      }
      if ((verb !== "stop" && verb !== "allow") || !media || !MEDIA_KINDS.includes(media)) {
        return text(
          400,
          "actions: mute, stop-camera, stop-sound, stop-screen, allow-camera, allow-sound, allow-screen",
        );
      }
      return m.adminTarget(params.room, id, verb, media) === "ok"
        ? done()
        : text(404, "no participant with that id in that room");
    })
    .post("/v1/rooms/:room/lock", async ({ params, request, server }) => {
      const m = await guard(request, server, params.room);
      if (m instanceof Response) return m;
      m.adminRoom(params.room, "lock");
      return done();
    })
    .delete("/v1/rooms/:room/lock", async ({ params, request, server }) => {
      const m = await guard(request, server, params.room);
      if (m instanceof Response) return m;
      m.adminRoom(params.room, "unlock");
      return done();
    })
    .delete("/v1/rooms/:room/hands", async ({ params, request, server }) => {
      const m = await guard(request, server, params.room);
      if (m instanceof Response) return m;
      m.adminRoom(params.room, "lower_hands");
      return done();
    })
    .post("/v1/rooms/:room/end", async ({ params, request, server }) => {
      const m = await guard(request, server, params.room);
      if (m instanceof Response) return m;
      m.adminRoom(params.room, "end");
      return done();
    });
}
