// Hostile input at scale: 100,000+ generated and mutated messages from several connections at once
// (a child process), plus slowloris-style half-open upgrades, while two honest peers in the same
// room exchange frames. The relay must stay up, keep its memory flat, drop every half-open socket,
// and deliver every honest frame. Rate limits are off here so every message reaches the parsers;
// test/security/rate-limits.test.ts covers the limits themselves.
import { expect, test } from "bun:test";
import { join } from "node:path";
import type { Socket, Subprocess } from "bun";
import { spawn } from "bun";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame, HEADER_BYTES, readSequence } from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";
import { rssBytes } from "../support/stalled-peer.ts";

/** Two rounds of this many: memory after round 2 must match memory after round 1. */
const MESSAGES_PER_ROUND = 100_000;
const FUZZ_CONNECTIONS = 6;
const SLOWLORIS_SOCKETS = 200;
const MAX_FRAME_BYTES = 64 * 1024;
const ROOM = "fuzz";

async function metrics(relay: SpawnedRelay): Promise<Record<string, number>> {
  const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match =
      /^framecast_(rejected_messages_total|refused_joins_total)\{reason="([^"]+)"\} (\S+)/.exec(
        line,
      );
    if (match) out[`${match[1]}:${match[2]}`] = Number(match[3]);
  }
  return out;
}

/** Opens TCP sockets that start an upgrade and never finish it (some trickle a byte a second). */
async function slowloris(port: number): Promise<{ sockets: Socket[]; closedAt: number[] }> {
  const closedAt: number[] = [];
  const started = Date.now();
  const request =
    `GET /v1/rooms/${ROOM}?name=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nX-Slow: ";
  const sockets = await Promise.all(
    Array.from({ length: SLOWLORIS_SOCKETS }, (_, i) =>
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          data() {},
          close() {
            closedAt.push(Date.now() - started);
          },
          error() {},
        },
      }).then((socket) => {
        socket.write(request.slice(0, 10 + (i % (request.length - 10))));
        return socket;
      }),
    ),
  );
  return { sockets, closedAt };
}

test("fuzz: 200k hostile messages and half-open upgrades; relay up, memory flat, honest frames all delivered", async () => {
  const relay = await startRelay([
    "--max-frame-bytes",
    String(MAX_FRAME_BYTES),
    "--max-peers",
    "100",
    "--max-fps",
    "0",
    "--max-bytes-per-second",
    "0",
    "--max-control-per-second",
    "0",
    "--log-level",
    "error",
  ]);
  const drivers: Subprocess[] = [];
  const runRound = async (seed: number) => {
    const driver = spawn(
      [
        process.execPath,
        join(import.meta.dir, "..", "support", "fuzz-driver.ts"),
        relay.wsUrl,
        ROOM,
        String(seed),
        String(MESSAGES_PER_ROUND),
        String(FUZZ_CONNECTIONS),
        String(MAX_FRAME_BYTES),
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "inherit" },
    );
    drivers.push(driver);
    const summary = await new Response(driver.stdout).text();
    await driver.exited;
    return JSON.parse(summary) as Record<string, unknown> & { sent: number };
  };
  let half: Awaited<ReturnType<typeof slowloris>> | undefined;
  const alice = await TestPeer.join(relay.wsUrl, ROOM, "honest-alice");
  const bob = await TestPeer.join(relay.wsUrl, ROOM, "honest-bob");
  try {
    const rssStart = await rssBytes(relay.proc.pid);
    half = await slowloris(relay.port);
    const trickle = setInterval(() => {
      for (const socket of half?.sockets.slice(0, 50) ?? []) socket.write("a");
    }, 1000);

    // Honest traffic at 25 fps each way while two fuzz rounds run and the half-open sockets
    // hang, until the relay has dropped all of those.
    const jpegs = [makeJpeg(48, 32, 1), makeJpeg(48, 32, 2)] as const;
    let sentEach = 0;
    let rssPeak = 0;
    const rssAfterRound: number[] = [];
    const results: Array<Record<string, unknown> & { sent: number }> = [];
    const rounds = (async () => {
      for (const seed of [7, 8]) {
        results.push(await runRound(seed));
        await Bun.sleep(500);
        rssAfterRound.push(await rssBytes(relay.proc.pid));
      }
    })();
    const deadline = Date.now() + 50_000;
    while (
      (results.length < 2 || (half?.closedAt.length ?? 0) < SLOWLORIS_SOCKETS) &&
      Date.now() < deadline
    ) {
      alice.ws.send(encodeVideoFrame(jpegs[0], Date.now(), sentEach));
      bob.ws.send(encodeVideoFrame(jpegs[1], Date.now(), sentEach));
      sentEach++;
      if (sentEach % 25 === 0) rssPeak = Math.max(rssPeak, await rssBytes(relay.proc.pid));
      await Bun.sleep(40);
    }
    clearInterval(trickle);
    await rounds;
    const sent = results.reduce((sum, r) => sum + r.sent, 0);

    // Every honest frame arrived, in order, byte-for-byte, from the right sender.
    const fromPeer = (receiver: TestPeer, senderId: number) =>
      receiver.binary.filter(
        (m) => m.byteLength > 4 && new DataView(m.buffer).getUint32(4, true) === senderId,
      );
    await bob.waitFor(
      () => fromPeer(bob, alice.welcome.id).length === sentEach,
      "alice's frames",
      10_000,
    );
    await alice.waitFor(
      () => fromPeer(alice, bob.welcome.id).length === sentEach,
      "bob's frames",
      10_000,
    );
    for (const [receiver, sender, jpeg] of [
      [bob, alice, jpegs[0]],
      [alice, bob, jpegs[1]],
    ] as const) {
      fromPeer(receiver, sender.welcome.id).forEach((frame, i) => {
        expect(readSequence(frame)).toBe(i);
        expect(Buffer.compare(frame.subarray(HEADER_BYTES), jpeg)).toBe(0);
      });
    }

    // Half-open upgrades: Bun drops an unfinished request after ~10 s, trickling or not.
    expect(half?.closedAt.length).toBe(SLOWLORIS_SOCKETS);

    // Still up and healthy; rooms the fuzzers opened are gone; memory flat.
    expect(relay.proc.exitCode).toBeNull();
    expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
    await Bun.sleep(500);
    const rooms = (await (await fetch(`${relay.httpUrl}/v1/rooms`)).json()) as {
      rooms: Array<{ name: string; peers: number }>;
    };
    expect(rooms.rooms).toEqual([{ name: ROOM, peers: 2, legacyPeers: 0 }] as never);
    const rssEnd = await rssBytes(relay.proc.pid);
    const counts = await metrics(relay);
    const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
    const closed = half?.closedAt ?? [0];
    console.log(
      `fuzz round 1: ${JSON.stringify(results[0])}\nfuzz round 2: ${JSON.stringify(results[1])}\n` +
        `relay counts: ${JSON.stringify(counts)}\n` +
        `honest frames each way: ${sentEach} sent, ${sentEach} delivered; ` +
        `slowloris sockets closed by the relay: ${closed.length} ` +
        `(first after ${Math.min(...closed)} ms, last after ${Math.max(...closed)} ms)\n` +
        `relay RSS MiB: start ${mib(rssStart)}, after round 1 ${mib(rssAfterRound[0] ?? 0)}, ` +
        `after round 2 ${mib(rssAfterRound[1] ?? 0)}, peak ${mib(rssPeak)}, end ${mib(rssEnd)}`,
    );
    expect(sent).toBeGreaterThanOrEqual(2 * MESSAGES_PER_ROUND);
    // Flat: a second round of 100k messages leaves the relay no bigger than the first did.
    expect((rssAfterRound[1] ?? 0) - (rssAfterRound[0] ?? 0)).toBeLessThan(16 << 20);
    const rejectedTotal = Object.entries(counts)
      .filter(([key]) => key.startsWith("rejected_messages_total"))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(rejectedTotal).toBeGreaterThan(sent / 2);
  } finally {
    for (const socket of half?.sockets ?? []) socket.end();
    alice.close();
    bob.close();
    for (const driver of drivers) {
      driver.kill("SIGKILL");
      await driver.exited;
    }
    await relay.stop();
  }
}, 90_000);
