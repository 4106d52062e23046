// The baseline relay (bench/processes/baseline-relay.ts: raw Bun.serve pub/sub) plus one thing
// the real relay has, to find which of them costs the extra CPU and page faults per large frame
// (issue 23, "the native gap"). Same command line and first stdout line as the baseline, so the
// bench runs it as the framecast target:
//   npm run bench -- --scenario fanout-480 --relay bench/processes/relay-paths/baseline-with.ts \
//     --relay-arg=--imports=elysia,prom-client
// --imports LIST   load these packages (elysia, prom-client, jose, ioredis) or `relay` (every
//                  module of relay/server.ts, nothing started)
// --heap-mb N      keep N MB of small JS objects alive (a heap the size of the relay's, or larger)
// --elysia         listen through Elysia's app.listen with these native handlers (as relay/ does)
// --relay-options  the socket options relay/sockets.ts sets (limits, pings, no deflate, no self)
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    imports: { type: "string", default: "" },
    "heap-mb": { type: "string", default: "0" },
    elysia: { type: "boolean", default: false },
    "relay-options": { type: "boolean", default: false },
  },
  strict: false,
});

const MODULES: Record<string, string> = {
  elysia: "elysia",
  "prom-client": "prom-client",
  jose: "jose",
  ioredis: "ioredis",
  relay: "../../../relay/server.ts",
};
const loaded: unknown[] = [];
for (const name of String(values.imports ?? "")
  .split(",")
  .filter(Boolean)) {
  const specifier = MODULES[name];
  if (!specifier)
    throw new Error(`--imports: unknown ${name}; choose from ${Object.keys(MODULES)}`);
  loaded.push(await import(specifier));
}

// Small objects, as a relay's heap holds (closures, records, strings), kept reachable.
const retained: { id: number; name: string; next: unknown }[] = [];
const heapBytes = Number(values["heap-mb"]) * 1e6;
for (let i = 0; i * 64 < heapBytes; i++) {
  retained.push({ id: i, name: `object-${i}`, next: retained[i - 1] ?? null });
}

const ROOM_PREFIX = "/v1/rooms/";
const LEGACY_TOPIC = "lobby";

interface Peer {
  topic: string;
  id: number;
}

let nextId = 1;

function upgrade(request: Request, srv: Bun.Server<Peer>): Response | undefined {
  const path = new URL(request.url).pathname;
  const topic = path === "/" ? LEGACY_TOPIC : path.startsWith(ROOM_PREFIX) ? path : null;
  if (topic && srv.upgrade(request, { data: { topic, id: nextId++ } })) return undefined;
  return new Response("not found", { status: 404 });
}

const relayOptions = values["relay-options"]
  ? {
      backpressureLimit: 8 * 1024 * 1024 + 256 * 1024,
      closeOnBackpressureLimit: false,
      idleTimeout: 120,
      sendPings: true,
      perMessageDeflate: false,
      publishToSelf: false,
    }
  : {};

const websocket: Bun.WebSocketHandler<Peer> = {
  maxPayloadLength: 16 * 1024 * 1024,
  ...relayOptions,
  open(ws) {
    ws.subscribe(ws.data.topic);
    if (ws.data.topic !== LEGACY_TOPIC) {
      const room = ws.data.topic.slice(ROOM_PREFIX.length);
      ws.send(JSON.stringify({ type: "welcome", id: ws.data.id, room, peers: [], limits: {} }));
    }
  },
  message(ws, message) {
    ws.publish(ws.data.topic, message);
  },
};

let server: Bun.Server<Peer>;
if (values.elysia) {
  const { Elysia } = await import("elysia");
  const app = new Elysia()
    .get("/healthz", () => "ok")
    .get("/v1/rooms/:room", ({ request, server }) =>
      upgrade(request, server as unknown as Bun.Server<Peer>),
    );
  app.listen({
    port: Number(values.port),
    hostname: String(values.host),
    reusePort: false,
    websocket: websocket as never,
  });
  server = app.server as unknown as Bun.Server<Peer>;
} else {
  server = Bun.serve<Peer>({
    port: Number(values.port),
    hostname: String(values.host),
    fetch: upgrade,
    websocket,
  });
}

console.log(
  JSON.stringify({
    event: "listening",
    url: `ws://${server.hostname}:${server.port}`,
    baseline: true,
    imports: values.imports,
    heapMB: Number(values["heap-mb"]),
    retained: retained.length + loaded.length,
  }),
);

process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
