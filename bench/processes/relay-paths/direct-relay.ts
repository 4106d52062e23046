// The same minimal frame logic as elysia-ws-relay.ts, but the way relay/ does it: Elysia routes
// the upgrade, and Bun's native handlers get the messages. Only the per-message path differs.
import type { ServerWebSocket } from "bun";
import { Elysia } from "elysia";
import { stampSenderId, validateFrame } from "../../../protocol/index.ts";

interface Data {
  id: number;
  topic: string;
}

const port = Number(process.argv[2] ?? 0);
let nextId = 1;

const app = new Elysia()
  .get("/v1/rooms/:room", ({ params, request, server }) => {
    const data: Data = { id: nextId++, topic: `b:${params.room}` };
    if (server?.upgrade(request, { data })) return undefined;
    return new Response("upgrade failed", { status: 400 });
  })
  .listen({
    port,
    hostname: "127.0.0.1",
    websocket: {
      open(ws: ServerWebSocket<Data>) {
        ws.subscribe(ws.data.topic);
      },
      message(ws: ServerWebSocket<Data>, message: string | Buffer) {
        if (typeof message === "string" || validateFrame(message, 2 << 20) !== null) return;
        stampSenderId(message, ws.data.id);
        ws.publish(ws.data.topic, message);
      },
    },
  });

console.log(JSON.stringify({ event: "listening", url: `ws://127.0.0.1:${app.server?.port}` }));
process.on("SIGTERM", () => process.exit(0));
