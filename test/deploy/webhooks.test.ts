// Webhooks to a real local HTTP receiver: every event once, signed, in order per room; a receiver
// that is down for 10 s loses nothing; one that never answers only fills its bounded queue.
import { afterEach, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import type { WebhookPayload } from "../../relay/webhooks/events.ts";
import { SIGNATURE_HEADER, verifySignature } from "../../relay/webhooks/signature.ts";
import { TestPeer } from "../support/peer.ts";

const SECRET = "webhook-test-secret-0123456789";
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Received {
  payload: WebhookPayload;
  signed: boolean;
}

/** A receiver on a loopback port; `port` lets a test bring it back on the same port. */
function receiver(port = 0, answer: "ok" | "never" = "ok") {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    async fetch(request) {
      const body = await request.text();
      received.push({
        payload: JSON.parse(body) as WebhookPayload,
        signed: verifySignature(SECRET, body, request.headers.get(SIGNATURE_HEADER)),
      });
      if (answer === "never") return new Promise<Response>(() => {});
      return new Response("ok");
    },
  });
  cleanups.push(() => server.stop(true));
  return { received, server, url: `http://127.0.0.1:${server.port}/hook` };
}

async function relayWith(args: string[]): Promise<SpawnedRelay> {
  const relay = await startRelay(args);
  cleanups.push(() => relay.stop());
  return relay;
}

async function until(predicate: () => boolean, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Two rooms' worth of comings and goings: 12 events. */
async function callTraffic(relay: SpawnedRelay) {
  const a1 = await TestPeer.join(relay.wsUrl, "alpha", "ann");
  const a2 = await TestPeer.join(relay.wsUrl, "alpha", "bob");
  const b1 = await TestPeer.join(relay.wsUrl, "beta", "cy");
  a2.ws.close(1000);
  await a1.waitForControl("leave");
  a1.ws.close(1000);
  b1.ws.close(1000);
  // A refused join: an invalid name of room never upgrades, a full room does (max-peers 2).
  const c1 = await TestPeer.join(relay.wsUrl, "gamma", "dee");
  const c2 = await TestPeer.join(relay.wsUrl, "gamma", "eve");
  const c3 = await TestPeer.connect(`${relay.wsUrl}/v1/rooms/gamma?name=fay`);
  await c3.waitFor(() => c3.closed !== null, "refusal", 5000);
  c1.ws.close(1000);
  c2.ws.close(1000);
}

function byRoom(received: Received[], room: string): string[] {
  return received
    .filter((r) => r.payload.room === room)
    .map((r) => {
      const p = r.payload;
      if (p.type === "participant_left") return `left ${p.name} ${p.reason}`;
      if (p.type === "participant_joined") return `joined ${p.name}`;
      if (p.type === "participant_refused") return `refused ${p.name} ${p.reason}`;
      return p.type;
    });
}

test("every event arrives once, signed, in order per room", async () => {
  const hook = receiver();
  const relay = await relayWith([
    "--webhook",
    hook.url,
    "--webhook-secret",
    SECRET,
    "--max-peers",
    "2",
  ]);
  await callTraffic(relay);
  await until(() => hook.received.length >= 15, "15 events", 10_000);
  await Bun.sleep(300); // nothing more (no duplicates) trickles in
  expect(hook.received.every((r) => r.signed)).toBe(true);
  const ids = hook.received.map((r) => r.payload.eventId);
  expect(new Set(ids).size).toBe(ids.length);
  const seqs = hook.received.map((r) => r.payload.seq);
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  expect(byRoom(hook.received, "alpha")).toEqual([
    "room_started",
    "joined ann",
    "joined bob",
    "left bob left",
    "left ann left",
    "room_finished",
  ]);
  expect(byRoom(hook.received, "beta")).toEqual([
    "room_started",
    "joined cy",
    "left cy left",
    "room_finished",
  ]);
  expect(byRoom(hook.received, "gamma")).toEqual([
    "room_started",
    "joined dee",
    "joined eve",
    "refused fay room_full",
    "left dee left",
    "left eve left",
    "room_finished",
  ]);
  expect(hook.received).toHaveLength(17);
}, 30_000);

test("a receiver down for 10 s loses nothing that fits the queue", async () => {
  // Take a free port, then leave it closed for 10 s.
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = probe.port as number;
  probe.stop(true);
  const relay = await relayWith([
    "--webhook",
    `http://127.0.0.1:${port}/hook`,
    "--webhook-secret",
    SECRET,
    "--max-peers",
    "2",
  ]);
  const downAt = Date.now();
  await callTraffic(relay);
  await Bun.sleep(Math.max(0, 10_000 - (Date.now() - downAt)));
  const hook = receiver(port);
  await until(() => hook.received.length >= 17, "17 events after the receiver came back", 30_000);
  await Bun.sleep(500);
  const ids = hook.received.map((r) => r.payload.eventId);
  expect(new Set(ids).size).toBe(17);
  expect(hook.received.every((r) => r.signed)).toBe(true);
  expect(byRoom(hook.received, "alpha")).toEqual([
    "room_started",
    "joined ann",
    "joined bob",
    "left bob left",
    "left ann left",
    "room_finished",
  ]);
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  expect(metrics).toMatch(/framecast_webhook_events_dropped_total 0/);
  expect(metrics).toMatch(/framecast_webhook_attempts_failed_total [1-9]/);
}, 60_000);

test("a receiver that never answers: joins stay fast, the queue stays bounded, drops are counted", async () => {
  const hook = receiver(0, "never");
  const relay = await relayWith(["--webhook", hook.url, "--webhook-queue", "3"]);
  const started = performance.now();
  const peers: TestPeer[] = [];
  for (let i = 0; i < 10; i++) peers.push(await TestPeer.join(relay.wsUrl, "stuck", `p${i}`));
  const joinMs = performance.now() - started;
  for (const peer of peers) peer.ws.close(1000);
  // 10 joins, 10 leaves and a room start and finish: 22 events; 3 queued (the one in flight included).
  await until(() => hook.received.length >= 1, "the first POST", 5000);
  let dropped = 0;
  const deadline = Date.now() + 10_000;
  while (dropped < 19 && Date.now() < deadline) {
    const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
    dropped = Number(/framecast_webhook_events_dropped_total (\d+)/.exec(text)?.[1] ?? 0);
    if (dropped < 19) await Bun.sleep(100);
  }
  expect(dropped).toBe(22 - 3);
  expect(hook.received).toHaveLength(1);
  // Ten joins on loopback take milliseconds; a webhook in the way would take 5 s each.
  expect(joinMs).toBeLessThan(3000);
}, 30_000);

test("a participant announcing a recording emits recording_started and recording_stopped", async () => {
  const hook = receiver();
  const relay = await relayWith(["--webhook", hook.url, "--webhook-secret", SECRET]);
  const recorder = await TestPeer.join(relay.wsUrl, "rec", "cli");
  recorder.ws.send(JSON.stringify({ type: "recording", active: true }));
  await until(
    () => hook.received.some((r) => r.payload.type === "recording_started"),
    "recording_started",
    10_000,
  );
  // Leaving while recording ends the recording too.
  recorder.ws.close(1000);
  await until(
    () => hook.received.some((r) => r.payload.type === "recording_stopped"),
    "recording_stopped",
    10_000,
  );
  const events = hook.received
    .filter((r) => r.payload.type.startsWith("recording_"))
    .map((r) => r.payload);
  expect(events.map((e) => e.type)).toEqual(["recording_started", "recording_stopped"]);
  expect(events[0]).toMatchObject({ room: "rec", name: "cli", id: recorder.welcome.id });
  expect(hook.received.every((r) => r.signed)).toBe(true);
});
