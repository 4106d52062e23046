// The CLI explains a refused join (Bun's WebSocket hides the HTTP status) and stops when
// retrying can't help; a relay that is merely down is retried as before.
import { afterEach, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { SECRET, token } from "../support/secure-peer.ts";

let relay: SpawnedRelay | null = null;
afterEach(async () => {
  await killAllClients();
  await relay?.stop();
  relay = null;
});

const join = (relayUrl: string, tokenValue: string) =>
  runClient(["--no-send", "--relay", relayUrl, "--room", "team", "--token", tokenValue]);

test("a token for another room: the relay's 403 reason is shown and the client exits 1", async () => {
  relay = await startRelay(["--auth-secret", SECRET]);
  const client = join(relay.wsUrl, await token("elsewhere", "eve"));
  await client.waitFor(/refused the connection: HTTP 403 join token is for another room/);
  expect(await client.stop("SIGCONT")).toBe(1);
  expect(client.output()).not.toContain("reconnecting");
}, 30_000);

test("an expired token: 401 with the reason, exit 1", async () => {
  relay = await startRelay(["--auth-secret", SECRET]);
  const expired = await token("team", "old", { ttlSeconds: 60, nowMs: Date.now() - 3_600_000 });
  const client = join(relay.wsUrl, expired);
  await client.waitFor(/refused the connection: HTTP 401/);
  expect(await client.stop("SIGCONT")).toBe(1);
}, 30_000);

test("a valid token joins normally; a relay that is down is retried, not given up on", async () => {
  relay = await startRelay(["--auth-secret", SECRET]);
  const client = join(relay.wsUrl, await token("team", "ann"));
  await client.waitFor(/joined room team as ann/);
  await relay.stop();
  relay = null;
  // The drop itself, then each failed try: named, with the wait before the next.
  await client.waitFor(/reconnecting in/, 15_000);
  const refused = /relay not reachable at 127\.0\.0\.1:\d+ \(connection refused\), retrying in/;
  await client.waitFor(refused, 15_000, 2);
  expect(client.proc.exitCode).toBeNull();
  expect(await client.stop()).toBe(0);
}, 40_000);
