// The smaller points of issue 19, on real relay processes: a refused join is logged and counted
// once (the CLI's refusal probe doesn't count again), /r/BAD answers a page that explains room
// names, the startup line advertises no 0.0.0.0, and the CLI's default name is never "unknown".
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { spawn } from "bun";
import { defaultName } from "../../client/options.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { REFUSAL_PROBE_HEADER } from "../../protocol/index.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { SECRET, token } from "../support/secure-peer.ts";

let relay: SpawnedRelay | null = null;
afterEach(async () => {
  await killAllClients();
  await relay?.stop();
  relay = null;
});

async function refusedTotal(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("framecast_refused_joins_total{"))
    .reduce((sum, line) => sum + Number(line.split(" ")[1]), 0);
}

test("a CLI refused for a wrong-room token: one join_refused line, counted once", async () => {
  relay = await startRelay(["--auth-secret", SECRET, "--admin-access", "open"]);
  const client = runClient([
    "--no-send",
    "--relay",
    relay.wsUrl,
    "--room",
    "team",
    "--token",
    await token("elsewhere", "eve"),
  ]);
  await client.waitFor(/refused the connection: HTTP 403/);
  expect(await client.stop("SIGCONT")).toBe(1);
  await Bun.sleep(200);
  expect(relay.logs.filter((l) => l.event === "join_refused")).toHaveLength(1);
  expect(await refusedTotal(relay.httpUrl)).toBe(1);
  // The probe still gets the relay's reason, as the page's and the CLI's do.
  const probe = await fetch(`${relay.httpUrl}/v1/rooms/team`, {
    headers: { [REFUSAL_PROBE_HEADER]: "1" },
  });
  expect(probe.status).toBe(401);
  expect(await refusedTotal(relay.httpUrl)).toBe(1);
  // A plain GET without the header is a refusal like any other.
  expect((await fetch(`${relay.httpUrl}/v1/rooms/team`)).status).toBe(401);
  expect(await refusedTotal(relay.httpUrl)).toBe(2);
}, 30_000);

test("/r/my%20team answers an HTML page that explains room names and links back to /", async () => {
  relay = await startRelay();
  const response = await fetch(`${relay.httpUrl}/r/my%20team`);
  expect(response.status).toBe(404);
  expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const html = await response.text();
  expect(html).toContain(`"my team" is not a room name`);
  expect(html).toContain("letters A-Z a-z, digits 0-9, _ and -");
  expect(html).toContain('<a href="/">');
  const hostile = await (await fetch(`${relay.httpUrl}/r/%3Cscript%3E`)).text();
  expect(hostile).not.toContain("<script>");
}, 20_000);

test("a relay bound to 0.0.0.0 advertises 127.0.0.1, never ws://0.0.0.0", async () => {
  const proc = spawn(
    [
      process.execPath,
      join(import.meta.dir, "..", "..", "relay", "main.ts"),
      "--port",
      "0",
      "--host",
      "0.0.0.0",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  try {
    const reader = proc.stdout.getReader();
    let text = "";
    while (!text.includes('"listening"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const line = JSON.parse(text.split("\n").find((l) => l.includes('"listening"')) ?? "{}");
    expect(line.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(line)).not.toContain("0.0.0.0");
    expect(line.page[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}, 20_000);

test("the CLI's default name: the login, else guest@HOST, never unknown", () => {
  expect(defaultName(() => "ann", "box")).toBe("ann");
  expect(defaultName(() => "unknown", "box.lan")).toBe("guest@box");
  expect(
    defaultName(() => {
      throw new Error("no passwd entry");
    }, ""),
  ).toBe("guest");
});
