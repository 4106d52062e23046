// Process-level behaviour: HTTP endpoints, idle timeouts, flags, graceful shutdown.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { startRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame } from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";

const RELAY_MAIN = join(import.meta.dir, "..", "..", "relay", "main.ts");

test("GET /healthz, /metrics (Prometheus text) and /v1/rooms", async () => {
  const relay = await startRelay();
  try {
    const a = await TestPeer.join(relay.wsUrl, "metrics-room", "a");
    const b = await TestPeer.join(relay.wsUrl, "metrics-room", "b");
    const jpeg = makeJpeg(16, 16, 1);
    a.ws.send(encodeVideoFrame(jpeg, Date.now(), 0));
    await b.waitFor(() => b.binary.length === 1, "frame");
    expect(await (await fetch(`${relay.httpUrl}/healthz`)).text()).toBe("ok\n");
    const response = await fetch(`${relay.httpUrl}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const value = (line: string) =>
      Number(
        text
          .split("\n")
          .find((l) => l.startsWith(`${line} `))
          ?.split(" ")[1],
      );
    expect(value("framecast_rooms")).toBe(1);
    expect(value('framecast_peers{protocol="v1"}')).toBe(2);
    expect(value("framecast_frames_in_total")).toBe(1);
    expect(value("framecast_frames_out_total")).toBe(1);
    expect(value("framecast_bytes_in_total")).toBe(jpeg.byteLength + 20);
    expect(text).toContain("# TYPE framecast_frames_dropped_total counter");
    expect(text).toContain("framecast_process_resident_memory_bytes");
    const rooms = await (await fetch(`${relay.httpUrl}/v1/rooms`)).json();
    expect(rooms).toEqual({ rooms: [{ name: "metrics-room", peers: 2, legacyPeers: 0 }] });
    expect((await fetch(`${relay.httpUrl}/v1/rooms/metrics-room`)).status).toBe(426);
    expect((await fetch(`${relay.httpUrl}/nope`)).status).toBe(404);
  } finally {
    await relay.stop();
  }
});

test("idle connections that never answer pings are dropped; live ones stay", async () => {
  const relay = await startRelay(["--idle-timeout", "2"]);
  try {
    const live = await TestPeer.join(relay.wsUrl, "idle", "live");
    // A hand-made client: upgrades, then never sends a byte (not even a pong).
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: relay.port,
      socket: { data() {} },
    });
    socket.write(
      "GET /v1/rooms/idle?name=silent HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    const join = await live.waitForControl("join", (j) => j.peer.name === "silent");
    const leave = await live.waitForControl("leave", (l) => l.id === join.peer.id, 15_000);
    expect(leave.id).toBe(join.peer.id);
    expect(live.closed).toBeNull(); // Bun's client answers pings, so it outlives the timeout
    socket.end();
  } finally {
    await relay.stop();
  }
}, 20_000);

test("SIGTERM closes every socket with 1001 and exits 0", async () => {
  const relay = await startRelay();
  const peers = [
    await TestPeer.join(relay.wsUrl, "bye", "one"),
    await TestPeer.join(relay.wsUrl, "bye", "two"),
    await TestPeer.connect(`${relay.wsUrl}/`),
  ];
  expect(await relay.stop()).toBe(0);
  for (const peer of peers) expect((await peer.waitForClose()).code).toBe(1001);
  for (const peer of peers.slice(0, 2))
    expect(peer.controls.at(-1)).toMatchObject({ type: "error", code: "shutting_down" });
  expect(relay.logs.some((l) => l.event === "shutdown" && l.signal === "SIGTERM")).toBe(true);
  expect(relay.logs.some((l) => l.event === "stopped" && l.closed === 3)).toBe(true);
});

test("SIGINT shuts down the same way", async () => {
  const relay = await startRelay();
  const peer = await TestPeer.join(relay.wsUrl, "bye", "one");
  relay.proc.kill("SIGINT");
  expect(await relay.proc.exited).toBe(0);
  expect((await peer.waitForClose()).code).toBe(1001);
});

test("bad flags exit 2 with a clear message; --help lists every flag", async () => {
  const run = (args: string[]) =>
    Bun.spawnSync([process.execPath, RELAY_MAIN, ...args], { stderr: "pipe", stdout: "pipe" });
  const bad = run(["--port", "99999"]);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr.toString()).toContain("--port: expected an integer from 0 to 65535");
  const unknown = run(["--frobnicate"]);
  expect(unknown.exitCode).toBe(2);
  expect(unknown.stderr.toString()).toContain("frobnicate");
  const size = run(["--max-frame-bytes", "lots"]);
  expect(size.exitCode).toBe(2);
  const help = run(["--help"]);
  expect(help.exitCode).toBe(0);
  for (const flag of [
    "--port",
    "--host",
    "--max-frame-bytes",
    "--max-peers",
    "--max-rooms",
    "--idle-timeout",
    "--backpressure-limit",
  ]) {
    expect(help.stdout.toString()).toContain(flag);
  }
});

test("environment variables configure the relay when flags are absent", async () => {
  const proc = Bun.spawn([process.execPath, RELAY_MAIN, "--port", "0", "--host", "127.0.0.1"], {
    env: { ...process.env, RELAY_MAX_PEERS: "1" },
    stdout: "pipe",
  });
  try {
    const reader = proc.stdout.getReader();
    const { value } = await reader.read();
    const listening = JSON.parse(new TextDecoder().decode(value).split("\n")[0] ?? "{}");
    expect(listening.maxPeers).toBe(1);
  } finally {
    proc.kill();
    await proc.exited;
  }
});
