// The CLI names why it can't connect, in one line, and retries only where retrying can help
// (issue 19): an untrusted certificate (self-signed wss without --ca, or the wrong --ca), wss:// to
// a plain port and ws:// to a TLS one, a port that is not a relay at all, a relay that is down
// (retried with backoff), a name that does not resolve (.invalid: never resolves, by RFC 6761)
// and HTTP refusals. Against a real relay (TLS with a certificate made here by openssl), a plain
// TCP server and a plain HTTP server, all on 127.0.0.1.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeSelfSignedCert, type SelfSignedCert } from "../../harness/self-signed-cert.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { hasOpenssl } from "../../harness/tools.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";

const tlsTest = test.skipIf(!hasOpenssl);

let dir: string;
let cert: SelfSignedCert;
let otherCert: SelfSignedCert;
let tlsRelay: SpawnedRelay | null = null;
let plainRelay: SpawnedRelay;
const servers: Array<{ stop(): void }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "framecast-connect-"));
  plainRelay = await startRelay();
  if (!hasOpenssl) return;
  cert = makeSelfSignedCert(dir);
  mkdirSync(join(dir, "other"));
  otherCert = makeSelfSignedCert(join(dir, "other"));
  tlsRelay = await startRelay(["--tls-cert", cert.certPath, "--tls-key", cert.keyPath]);
}, 30_000);

afterEach(killAllClients);

afterAll(async () => {
  for (const server of servers) server.stop();
  await Promise.all([tlsRelay?.stop(), plainRelay?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const watch = (relayUrl: string, extra: string[] = []) =>
  runClient(["--no-send", "--relay", relayUrl, "--room", "team", ...extra]);

/** Waits for `pattern`, then for the client to exit by itself; resolves with its exit code. */
async function failsWith(
  client: ReturnType<typeof watch>,
  pattern: RegExp,
): Promise<number | null> {
  console.log(await client.waitFor(pattern));
  const code = await Promise.race([client.proc.exited, Bun.sleep(10_000).then(() => "running")]);
  expect(code).not.toBe("running");
  expect(client.output()).not.toMatch(/retrying|reconnecting/);
  // One line says it all: the reason is not repeated.
  expect(
    client
      .output()
      .split("\n")
      .filter((line) => pattern.test(line)),
  ).toHaveLength(1);
  return client.proc.exitCode;
}

tlsTest(
  "a self-signed wss:// relay without --ca: untrusted certificate, use --ca; exit 1",
  async () => {
    const client = watch(`wss://127.0.0.1:${tlsRelay?.port}`);
    const line =
      /the relay's certificate at 127\.0\.0\.1:\d+ is not trusted \(self.signed certificate\): give the certificate \(or the CA that signed it\) with --ca FILE/;
    expect(await failsWith(client, line)).toBe(1);
    // With --ca it joins.
    const trusted = watch(`wss://127.0.0.1:${tlsRelay?.port}`, ["--ca", cert.certPath]);
    await trusted.waitFor(/joined room team/);
    expect(await trusted.stop()).toBe(0);
  },
  30_000,
);

tlsTest(
  "--ca naming another certificate: not trusted even with --ca; exit 1",
  async () => {
    const client = watch(`wss://127.0.0.1:${tlsRelay?.port}`, ["--ca", otherCert.certPath]);
    expect(await failsWith(client, /is not trusted \(.+\), even with --ca/)).toBe(1);
  },
  30_000,
);

tlsTest(
  "ws:// to a TLS relay: it speaks TLS, use wss://; exit 1",
  async () => {
    const port = tlsRelay?.port;
    const client = watch(`ws://127.0.0.1:${port}`);
    const line = new RegExp(
      `127\\.0\\.0\\.1:${port} speaks TLS: use wss://127\\.0\\.0\\.1:${port}`,
    );
    expect(await failsWith(client, line)).toBe(1);
  },
  30_000,
);

test("wss:// to a plain relay: it does not speak TLS, use ws://; exit 1", async () => {
  const port = plainRelay.port;
  const client = watch(`wss://127.0.0.1:${port}`);
  const line = new RegExp(
    `127\\.0\\.0\\.1:${port} does not speak TLS: for a relay without --tls-cert use ws://127\\.0\\.0\\.1:${port}`,
  );
  expect(await failsWith(client, line)).toBe(1);
}, 30_000);

test("a port that answers but is no relay (not HTTP, not TLS): named, exit 1", async () => {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.write("SSH-2.0-not-a-relay\r\n");
        socket.end();
      },
    },
  });
  servers.push(server);
  const plain = watch(`ws://127.0.0.1:${server.port}`);
  const tls = watch(`wss://127.0.0.1:${server.port}`);
  expect(await failsWith(plain, /:\d+ is not a framecast relay \(its answer is not HTTP\)/)).toBe(
    1,
  );
  expect(await failsWith(tls, /:\d+ does not speak TLS/)).toBe(1);
}, 30_000);

test("a relay that is down: connection refused, retried with backoff, joins once it is up", async () => {
  // A port that was just free: nothing listens there.
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const client = watch(`ws://127.0.0.1:${port}`);
  const line = new RegExp(
    `relay not reachable at 127\\.0\\.0\\.1:${port} \\(connection refused\\), retrying in \\d+\\.\\d s`,
  );
  await client.waitFor(line);
  await client.waitFor(line, 10_000, 2);
  expect(client.proc.exitCode).toBeNull();
  // The relay comes up on that port: the next try joins.
  const relay = await startRelay(["--port", String(port)]);
  try {
    await client.waitFor(/joined room team/, 20_000);
    expect(await client.stop()).toBe(0);
  } finally {
    await relay.stop();
  }
}, 40_000);

test("a name that does not resolve: DNS, no retry; exit 1", async () => {
  const client = watch("ws://relay.framecast.invalid:8765");
  const line = /cannot resolve relay\.framecast\.invalid \(DNS\): check the relay's address/;
  expect(await failsWith(client, line)).toBe(1);
}, 30_000);

test("HTTP refusals: 404 named with its reason and not retried; 503 retried", async () => {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) =>
      new URL(request.url).pathname.includes("busy")
        ? new Response("down for maintenance", { status: 503 })
        : new Response("no such room here", { status: 404 }),
  });
  servers.push(server);
  const gone = watch(`ws://127.0.0.1:${server.port}`);
  expect(
    await failsWith(gone, /the relay refused the connection: HTTP 404 no such room here/),
  ).toBe(1);
  const busy = runClient([
    "--no-send",
    "--relay",
    `ws://127.0.0.1:${server.port}`,
    "--room",
    "busy",
  ]);
  const line = /the relay refused the connection: HTTP 503 down for maintenance, retrying in/;
  await busy.waitFor(line);
  await busy.waitFor(line, 10_000, 2);
  expect(await busy.stop()).toBe(0);
}, 30_000);
