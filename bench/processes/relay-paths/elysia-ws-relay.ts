// The same frame logic as relay/ but written with Elysia's .ws(), to measure what its per-message
// wrapping costs (see bench/processes/relay-paths/compare.ts). Not used by the product.
import { Elysia } from "elysia";
import { stampSenderId, validateFrame } from "../../../protocol/index.ts";

const port = Number(process.argv[2] ?? 0);
let nextId = 1;
const ids = new WeakMap<object, number>();

const app = new Elysia()
  .ws("/v1/rooms/:room", {
    // Raw bytes through; Elysia would otherwise try to parse every message.
    open(ws) {
      ids.set(ws.raw, nextId++);
      ws.subscribe(`b:${ws.data.params.room}`);
    },
    message(ws, message) {
      const frame = message as unknown as Buffer;
      if (validateFrame(frame, 2 << 20) !== null) return;
      stampSenderId(frame, ids.get(ws.raw) ?? 0);
      ws.publish(`b:${ws.data.params.room}`, frame);
    },
  })
  .listen({ port, hostname: "127.0.0.1" });

console.log(JSON.stringify({ event: "listening", url: `ws://127.0.0.1:${app.server?.port}` }));
process.on("SIGTERM", () => process.exit(0));
