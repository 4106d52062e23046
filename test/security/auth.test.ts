// Join tokens: every refusal path before the upgrade (no token, bad signature, expired, wrong room,
// bad origin), what a refused caller learns (nothing about the room), the signed name winning,
// view-only holders, the old-protocol path, admin endpoints and the `token` subcommand.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join as joinPath } from "node:path";
import { spawn } from "bun";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { CloseCode, encodeVideoFrame, HEADER_BYTES, LEGACY_ROOM } from "../../protocol/index.ts";
import { metric, OptionsPeer, SECRET, token, tryUpgrade } from "../support/secure-peer.ts";

const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
let relay: SpawnedRelay;
const open: OptionsPeer[] = [];

beforeAll(async () => {
  relay = await startRelay([
    "--auth-secret",
    SECRET,
    "--admin-token",
    ADMIN_TOKEN,
    "--allowed-origins",
    "https://meet.example.org",
  ]);
});

afterAll(async () => {
  for (const peer of open) peer.close();
  expect(await relay.stop()).toBe(0);
});

const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const roomUrl = (room: string, query = "") => `${relay.httpUrl}/v1/rooms/${room}${query}`;

async function enter(room: string, init: Bun.WebSocketOptions = {}, query = "") {
  const peer = await OptionsPeer.join(`${relay.wsUrl}/v1/rooms/${room}${query}`, init);
  open.push(peer);
  return peer;
}

test("the startup log says auth is on", () => {
  const listening = relay.logs.find((l) => l.event === "listening");
  expect(listening?.auth).toBe(true);
  expect(relay.logs.some((l) => l.event === "auth_off")).toBe(false);
});

test.each([
  ["no token", async (): Promise<string> => "", 401, "join token required"],
  ["a bad signature", () => token("team", "mallory", { secret: `x${SECRET}` }), 401, "invalid"],
  [
    "an expired token",
    () => token("team", "late", { nowMs: Date.now() - 3_600_000 }),
    401,
    "expired",
  ],
  ["garbage", async (): Promise<string> => "not.a.jwt", 401, "invalid"],
  ["a token for another room", () => token("other", "wanderer"), 403, "another room"],
] as const)(
  "an upgrade with %s is refused before the upgrade (%#)",
  async (_what, makeToken, status, words) => {
    const value = await makeToken();
    const query = value ? `?token=${value}` : "";
    const answer = await tryUpgrade(roomUrl("team", query));
    expect(answer.status).toBe(status);
    expect(answer.body).toContain(words);
    expect(answer.headers.get("upgrade")).toBeNull();
    // The same token as a Bearer header gets the same answer, and a WebSocket never opens.
    if (value) {
      const viaHeader = await tryUpgrade(roomUrl("team"), { authorization: `Bearer ${value}` });
      expect(viaHeader.status).toBe(status);
    }
    await expect(OptionsPeer.open(`${relay.wsUrl}/v1/rooms/team${query}`)).rejects.toThrow();
    expect(relay.proc.exitCode).toBeNull();
  },
  30_000,
);

test("a forged token (alg none, or HS256 with the claims edited) is refused", async () => {
  const good = await token("team", "alice");
  const [header, payload, signature] = good.split(".") as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  const edited = Buffer.from(JSON.stringify({ ...claims, room: "secret-room" })).toString(
    "base64url",
  );
  const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
  for (const forged of [`${header}.${edited}.${signature}`, `${none}.${payload}.`]) {
    expect((await tryUpgrade(roomUrl("secret-room", `?token=${forged}`))).status).toBe(401);
  }
}, 30_000);

test("a refused caller learns nothing about the room: same answer whether it is busy or empty", async () => {
  const insider = await enter("busy", {}, `?token=${await token("busy", "insider")}`);
  expect(insider.welcome.name).toBe("insider");
  for (const query of ["", `?token=${await token("elsewhere", "x")}`, "?token=bad"]) {
    const busy = await tryUpgrade(roomUrl("busy", query));
    const empty = await tryUpgrade(roomUrl("nobody-here", query));
    expect(busy.status).toBe(empty.status);
    expect(busy.body).toBe(empty.body);
    expect(busy.body).not.toContain("busy");
    expect(busy.body).not.toContain("insider");
  }
  // Nor can it list rooms: /v1/rooms and /metrics need the admin token.
  expect((await fetch(`${relay.httpUrl}/v1/rooms`)).status).toBe(401);
  expect((await fetch(`${relay.httpUrl}/metrics`)).status).toBe(401);
  const rooms = (await (await fetch(`${relay.httpUrl}/v1/rooms`, admin)).json()) as {
    rooms: Array<{ name: string }>;
  };
  expect(rooms.rooms.map((r) => r.name)).toContain("busy");
  expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
}, 30_000);

test("a valid token admits by ?token= or Bearer header, and its name wins over ?name=", async () => {
  const alice = await enter("team", {}, `?token=${await token("team", "alice")}&name=bob`);
  expect(alice.welcome.name).toBe("alice");
  const carol = await enter(
    "team",
    {
      headers: { authorization: `Bearer ${await token("team", "carol")}` },
    },
    "?name=admin",
  );
  expect(carol.welcome.name).toBe("carol");
  expect(carol.welcome.peers.map((p) => p.name)).toContain("alice");
  const jpeg = makeJpeg(16, 16, 3);
  alice.ws.send(encodeVideoFrame(jpeg, Date.now(), 1));
  await carol.until(() => carol.binary.length === 1, "alice's frame");
  expect(Buffer.compare((carol.binary[0] as Uint8Array).subarray(HEADER_BYTES), jpeg)).toBe(0);
}, 30_000);

test("a view-only holder receives frames, but its own are dropped, counted and never relayed", async () => {
  const speaker = await enter("panel", {}, `?token=${await token("panel", "speaker")}`);
  const viewer = await enter(
    "panel",
    {},
    `?token=${await token("panel", "viewer", { canPublish: false })}`,
  );
  // Everyone learns who is view only (docs/PROTOCOL.md, View-only participants): the viewer
  // from its welcome, the others from its join; a publisher carries no mark at all.
  expect(viewer.welcome.viewOnly).toBe(true);
  expect(speaker.welcome.viewOnly).toBeUndefined();
  expect(viewer.welcome.peers.find((p) => p.name === "speaker")?.viewOnly).toBeUndefined();
  const joined = await speaker.until(
    () => speaker.controls.find((c) => c.type === "join" && c.peer.name === "viewer"),
    "the viewer's join",
  );
  expect(joined?.type === "join" && joined.peer.viewOnly).toBe(true);
  const before = await metric(
    relay.httpUrl,
    "framecast_rejected_messages_total",
    '{reason="view_only"}',
    admin,
  );
  for (let i = 0; i < 5; i++) viewer.ws.send(encodeVideoFrame(makeJpeg(8, 8, i), Date.now(), i));
  const notice = await viewer.until(
    () => viewer.controls.find((c) => c.type === "error" && c.code === "view_only"),
    "view_only error",
  );
  expect(notice).toBeTruthy();
  speaker.ws.send(encodeVideoFrame(makeJpeg(8, 8, 9), Date.now(), 0));
  await viewer.until(() => viewer.binary.length === 1, "speaker's frame at the viewer");
  await Bun.sleep(200);
  expect(speaker.binary.length).toBe(0);
  expect(
    await metric(relay.httpUrl, "framecast_rejected_messages_total", '{reason="view_only"}', admin),
  ).toBe(before + 5);
  expect(viewer.closed).toBeNull();
  // Only one notice, not one per dropped frame.
  expect(viewer.controls.filter((c) => c.type === "error").length).toBe(1);
}, 30_000);

test("the old-protocol path / needs a token for the lobby too", async () => {
  expect((await tryUpgrade(`${relay.httpUrl}/`)).status).toBe(401);
  expect((await tryUpgrade(`${relay.httpUrl}/?token=${await token("team", "x")}`)).status).toBe(
    403,
  );
  const legacy = await OptionsPeer.open(`${relay.wsUrl}/?token=${await token(LEGACY_ROOM, "old")}`);
  open.push(legacy);
  const watcher = await enter(LEGACY_ROOM, {}, `?token=${await token(LEGACY_ROOM, "w")}`);
  const jpeg = makeJpeg(16, 16, 5);
  legacy.ws.send(Buffer.from(jpeg).toString("base64"));
  await watcher.until(() => watcher.binary.length === 1, "legacy frame");
  expect(watcher.welcome.peers.map((p) => p.name)).toEqual(["old"]);
}, 30_000);

test("browser upgrades from an origin not on --allowed-origins get 403; listed, own and none pass", async () => {
  const valid = await token("team", "browser");
  const refused = await tryUpgrade(roomUrl("team", `?token=${valid}`), {
    origin: "https://evil.example.com",
  });
  expect(refused.status).toBe(403);
  expect(refused.body).toContain("origin");
  // A bad origin is refused even without a token: the origin check comes first.
  expect((await tryUpgrade(roomUrl("team"), { origin: "https://evil.example.com" })).status).toBe(
    403,
  );
  for (const origin of ["https://meet.example.org", `http://127.0.0.1:${relay.port}`]) {
    const peer = await enter("team", { headers: { origin } }, `?token=${valid}`);
    expect(peer.welcome.name).toBe("browser");
  }
  expect(
    await metric(relay.httpUrl, "framecast_refused_joins_total", '{reason="bad_origin"}', admin),
  ).toBe(2);
}, 30_000);

test("every refusal is counted by reason in /metrics", async () => {
  for (const reason of ["no_token", "bad_token", "expired_token", "wrong_room", "bad_origin"]) {
    expect(
      await metric(relay.httpUrl, "framecast_refused_joins_total", `{reason="${reason}"}`, admin),
    ).toBeGreaterThan(0);
  }
}, 30_000);

const RELAY_MAIN = joinPath(import.meta.dir, "..", "..", "relay", "main.ts");

async function tokenCommand(args: string[], env: Record<string, string> = {}) {
  const proc = spawn([process.execPath, RELAY_MAIN, "token", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(killer);
  return { stdout, stderr, code };
}

test("`relay token` mints a working token with a join URL and a client command line", async () => {
  const out = await tokenCommand(
    [
      "--room",
      "team",
      "--name",
      "dave",
      "--ttl",
      "10m",
      "--view-only",
      "--json",
      "--relay-url",
      relay.httpUrl,
    ],
    { RELAY_AUTH_SECRET: SECRET },
  );
  expect(out.code).toBe(0);
  const minted = JSON.parse(out.stdout) as Record<string, string | boolean>;
  expect(minted.canPublish).toBe(false);
  expect(minted.joinUrl).toBe(`${relay.httpUrl}/r/team?token=${minted.token}`);
  expect(minted.clientCommand).toContain(
    `--relay ${relay.wsUrl} --room team --token ${minted.token}`,
  );
  expect(minted.clientCommand).toContain("--no-send");
  const dave = await enter("team", {}, `?token=${minted.token}`);
  expect(dave.welcome.name).toBe("dave");
  const text = await tokenCommand(["--room", "team", "--name", "erin", "--auth-secret", SECRET]);
  expect(text.stdout).toMatch(/^token {4}ey/);
  expect(text.stdout).toContain("browser  http://localhost:8765/r/team?token=");
  expect((await tokenCommand(["--help"])).code).toBe(0);
  const noSecret = await tokenCommand(["--room", "team", "--name", "x"]);
  expect(noSecret.code).toBe(2);
  expect(noSecret.stderr).toContain("--auth-secret");
  expect(
    (await tokenCommand(["--room", "bad room", "--name", "x"], { RELAY_AUTH_SECRET: SECRET })).code,
  ).toBe(2);
}, 30_000);

test("an open relay says so in its startup log", async () => {
  const local = await startRelay([]);
  try {
    await Bun.sleep(300);
    const line = local.logs.find((l) => l.event === "auth_off");
    expect(line?.level).toBe("notice");
    expect(String(line?.message)).toContain("anyone who can reach this relay");
    expect(local.logs.find((l) => l.event === "listening")?.auth).toBe(false);
  } finally {
    await local.stop();
  }
}, 30_000);

test("a peer closed by the relay keeps its close code meaning (sanity: 4029 is ours)", () => {
  expect(CloseCode.RateLimited).toBe(4029);
});
