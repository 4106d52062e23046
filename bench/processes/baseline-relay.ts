// The floor the bench compares framecast against: raw Bun.serve pub/sub, one topic per room,
// every message republished as is. No validation, no stamping, no conversion, no metrics.
// Same command line and first stdout line as relay/main.ts so the bench drives both alike.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
  },
  strict: false,
});

const ROOM_PREFIX = "/v1/rooms/";
/** Old-protocol clients all share one room, as on the real relay. */
const LEGACY_TOPIC = "lobby";

interface Peer {
  topic: string;
  id: number;
}

let nextId = 1;

const server = Bun.serve<Peer>({
  port: Number(values.port),
  hostname: String(values.host),
  fetch(request, srv) {
    const path = new URL(request.url).pathname;
    const topic = path === "/" ? LEGACY_TOPIC : path.startsWith(ROOM_PREFIX) ? path : null;
    if (topic && srv.upgrade(request, { data: { topic, id: nextId++ } })) return undefined;
    return new Response("not found", { status: 404 });
  },
  websocket: {
    // Large enough for any frame the bench sends; Bun's default is 16 MB anyway.
    maxPayloadLength: 16 * 1024 * 1024,
    open(ws) {
      ws.subscribe(ws.data.topic);
      // Bench clients on /v1 wait for a welcome; old-protocol clients get nothing, as on the relay.
      if (ws.data.topic !== LEGACY_TOPIC) {
        const room = ws.data.topic.slice(ROOM_PREFIX.length);
        ws.send(JSON.stringify({ type: "welcome", id: ws.data.id, room, peers: [], limits: {} }));
      }
    },
    message(ws, message) {
      ws.publish(ws.data.topic, message);
    },
  },
});

console.log(
  JSON.stringify({
    event: "listening",
    url: `ws://${server.hostname}:${server.port}`,
    baseline: true,
  }),
);

process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
