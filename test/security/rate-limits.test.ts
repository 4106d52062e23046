// Per-connection rate limits (frames/s, bytes/s, control floods) and connects per address per
// minute: excess is dropped and counted, a flood is closed with 4029, honest peers never notice.
import { expect, test } from "bun:test";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { CloseCode, encodeAck, encodeVideoFrame } from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";
import { metric, tryUpgrade } from "../support/secure-peer.ts";

async function withRelay(args: string[], body: (relay: SpawnedRelay) => Promise<void>) {
  const relay = await startRelay(args);
  try {
    await body(relay);
  } finally {
    await relay.stop();
  }
}

const rejected = (relay: SpawnedRelay, reason: string) =>
  metric(relay.httpUrl, "framecast_rejected_messages_total", `{reason="${reason}"}`);

test("frames over --max-fps are dropped and counted; the sender stays connected", async () => {
  await withRelay(["--max-fps", "10"], async (relay) => {
    const sender = await TestPeer.join(relay.wsUrl, "r", "fast");
    const watcher = await TestPeer.join(relay.wsUrl, "r", "watcher");
    const frame = encodeVideoFrame(makeJpegOfSize(3000, 1), 0, 0);
    for (let i = 0; i < 60; i++) sender.ws.send(frame);
    await sender.waitForControl("error", (e) => e.code === "rate_limited");
    await Bun.sleep(300);
    // The bucket holds 2 s of 10 fps: about 20 pass (plus what refills while sending).
    expect(watcher.binary.length).toBeGreaterThanOrEqual(20);
    expect(watcher.binary.length).toBeLessThanOrEqual(24);
    expect(await rejected(relay, "rate_limited_frames")).toBe(60 - watcher.binary.length);
    expect(sender.closed).toBeNull();
    // One notice for the episode, not one per dropped frame.
    expect(sender.controls.filter((c) => c.type === "error").length).toBe(1);
    // After a pause the sender may send again.
    await Bun.sleep(400);
    const before = watcher.binary.length;
    sender.ws.send(frame);
    await watcher.waitFor(() => watcher.binary.length === before + 1, "frame after the pause");
    sender.close();
    watcher.close();
  });
}, 30_000);

test("bytes over --max-bytes-per-second are dropped and counted", async () => {
  await withRelay(
    ["--max-frame-bytes", "16KiB", "--max-bytes-per-second", "32KiB", "--max-fps", "0"],
    async (relay) => {
      const sender = await TestPeer.join(relay.wsUrl, "r", "heavy");
      const watcher = await TestPeer.join(relay.wsUrl, "r", "watcher");
      const frame = encodeVideoFrame(makeJpegOfSize(10_000, 2), 0, 0);
      for (let i = 0; i < 30; i++) sender.ws.send(frame);
      await Bun.sleep(500);
      // 64 KiB of burst holds 6 of these 10 kB frames; a little refills meanwhile.
      expect(watcher.binary.length).toBeGreaterThanOrEqual(6);
      expect(watcher.binary.length).toBeLessThanOrEqual(9);
      expect(await rejected(relay, "rate_limited_bytes")).toBe(30 - watcher.binary.length);
      expect(sender.closed).toBeNull();
      sender.close();
      watcher.close();
    },
  );
}, 30_000);

test("a control-message flood is cut off with close code 4029; honest peers keep going", async () => {
  await withRelay([], async (relay) => {
    const honest = await TestPeer.join(relay.wsUrl, "r", "honest");
    const watcher = await TestPeer.join(relay.wsUrl, "r", "watcher");
    const flooder = await TestPeer.join(relay.wsUrl, "r", "flooder");
    for (let i = 0; i < 5000 && flooder.ws.readyState === WebSocket.OPEN; i++) {
      flooder.ws.send(`{"type":"spam","n":${i}}`);
    }
    const closed = await flooder.waitForClose(10_000);
    expect(closed.code).toBe(CloseCode.RateLimited);
    expect(closed.reason).toContain("rate limit");
    expect(await metric(relay.httpUrl, "framecast_rate_limit_closes_total")).toBe(1);
    expect(await rejected(relay, "rate_limited_control")).toBeGreaterThan(1000);
    // The relay answered about its 2 s burst (1200) of control messages, not all 5000.
    const errors = flooder.controls.filter((c) => c.type === "error").length;
    expect(errors).toBeLessThanOrEqual(1300);
    const frame = encodeVideoFrame(makeJpegOfSize(3000, 3), Date.now(), 1);
    honest.ws.send(frame);
    await watcher.waitFor(() => watcher.binary.length === 1, "honest frame after the flood");
    honest.close();
    watcher.close();
  });
}, 30_000);

test("connection attempts over --max-connects-per-minute get 429 with Retry-After", async () => {
  await withRelay(
    ["--max-connects-per-minute", "5", "--connect-limit-exempt", "none"],
    async (relay) => {
      const peers: TestPeer[] = [];
      for (let i = 0; i < 5; i++) peers.push(await TestPeer.join(relay.wsUrl, "r", `p${i}`));
      const refused = await tryUpgrade(`${relay.httpUrl}/v1/rooms/r`);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(refused.body).toContain("too many connection attempts");
      await expect(TestPeer.connect(`${relay.wsUrl}/v1/rooms/r`)).rejects.toThrow();
      expect(
        await metric(
          relay.httpUrl,
          "framecast_refused_joins_total",
          '{reason="too_many_connects"}',
        ),
      ).toBe(2);
      // Plain HTTP is not a connection attempt: health checks keep working.
      expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
      for (const peer of peers) peer.close();
    },
  );
}, 30_000);

test("by default loopback is exempt from the connect limit (a local proxy is one address)", async () => {
  await withRelay([], async (relay) => {
    for (let batch = 0; batch < 5; batch++) {
      const peers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          TestPeer.connect(`${relay.wsUrl}/v1/rooms/c${batch}?name=${i}`),
        ),
      );
      for (const peer of peers) peer.close();
    }
    // Opens are counted by the relay's open handler, which may trail the client's last close.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if ((await metric(relay.httpUrl, "framecast_connections_opened_total")) === 150) break;
      await Bun.sleep(50);
    }
    expect(await metric(relay.httpUrl, "framecast_connections_opened_total")).toBe(150);
    expect(await metric(relay.httpUrl, "framecast_refused_joins_total")).toBe(0);
  });
}, 30_000);

test("acks have their own budget: they never use up the control budget, and a flood of them is cut", async () => {
  // Ack budget = (max-peers − 1) × max-fps = 2 × 10 = 20/s (40 burst); control budget 5/s.
  await withRelay(
    ["--max-fps", "10", "--max-peers", "3", "--max-control-per-second", "5"],
    async (relay) => {
      const receiver = await TestPeer.connect(`${relay.wsUrl}/v1/rooms/r?name=acker&ack=1`);
      await receiver.waitForControl("welcome");
      const ack = encodeAck({ senderId: 12345, captureTimeMs: 0, sequence: 0 });
      for (let i = 0; i < 30; i++) receiver.ws.send(ack);
      await Bun.sleep(300);
      expect(await rejected(relay, "rate_limited_control")).toBe(0);
      expect(await rejected(relay, "rate_limited_acks")).toBe(0);
      for (let i = 0; i < 200; i++) receiver.ws.send(ack);
      await receiver.waitForControl("error", (e) => e.code === "rate_limited");
      expect(await rejected(relay, "rate_limited_acks")).toBeGreaterThan(100);
      expect(await rejected(relay, "rate_limited_control")).toBe(0);
      receiver.close();
    },
  );
}, 30_000);
