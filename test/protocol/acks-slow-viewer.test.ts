// Issue 7's acceptance run on the real relay: one sender at 30 fps (40 KB), a fast acking
// receiver, a fast receiver that doesn't ack, and two viewers that can only draw 10 frames a
// second (separate processes that stop reading while they draw), one acking and one not, for
// 30 s. The acking slow viewer must stay fresh; everyone else must be served as before.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import {
  medianDelay,
  type SlowViewer,
  startSlowViewer,
} from "../../harness/slow-viewer-process.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame, HEADER_BYTES, readCaptureTime } from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { rssBytes } from "../support/stalled-peer.ts";

const FPS = 30;
const SECONDS = 30;
const FRAME_BYTES = 40_000;
const SLOW_FPS = 10;
const ROOM = "slowviewer";

let relay: SpawnedRelay;
const viewers: SlowViewer[] = [];
const peers: AckingPeer[] = [];

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  for (const peer of peers) peer.close();
  await Promise.all(viewers.map((v) => v.stop()));
  await relay.stop();
});

const now = () => performance.timeOrigin + performance.now();
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

test("a 10 fps acking viewer stays fresh; fast receivers get every frame; relay memory flat", async () => {
  const fast = await AckingPeer.join(relay.wsUrl, ROOM, "fast-acker");
  const plain = await AckingPeer.join(relay.wsUrl, ROOM, "fast-plain", "manual", false);
  peers.push(fast, plain);
  const room = `${relay.wsUrl}/v1/rooms/${ROOM}`;
  const slowAcker = await startSlowViewer(`${room}?name=slow-acker`, SLOW_FPS, true);
  viewers.push(slowAcker);
  const slowPlain = await startSlowViewer(`${room}?name=slow-plain`, SLOW_FPS, false);
  viewers.push(slowPlain);
  const sender = await AckingPeer.join(relay.wsUrl, ROOM, "sender", "manual", false);
  peers.push(sender);
  expect(fast.welcome?.ackWindow).toBe(2);
  expect(plain.welcome?.ackWindow).toBeUndefined();

  const jpeg = makeJpegOfSize(FRAME_BYTES, 7);
  const rss: { at: number; bytes: number }[] = [];
  const start = now();
  const total = SECONDS * FPS;
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / FPS - now();
    if (wait > 0) await Bun.sleep(wait);
    sender.ws.send(encodeVideoFrame(jpeg, now(), i));
    if (i % FPS === 0) rss.push({ at: now() - start, bytes: await rssBytes(relay.proc.pid) });
  }
  const end = now();
  await fast
    .waitFor(() => fast.frames.length >= total, "the fast acker's last frames", 3000)
    .catch(() => {});
  await Bun.sleep(300);

  const early = (v: SlowViewer) => medianDelay(v.frames, start, start + 10_000);
  const late = (v: SlowViewer) => medianDelay(v.frames, end - 10_000, end);
  const fastDelay = median(
    fast.frames.map((f, i) => (fast.times[i] as number) - readCaptureTime(f)),
  );
  const rssAt10 = rss.find((s) => s.at >= 10_000)?.bytes ?? 0;
  const rssPeakLate = Math.max(...rss.filter((s) => s.at >= 10_000).map((s) => s.bytes));
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  const limit = (3 * 1000) / FPS + 50;
  console.log(
    `acks, ${SECONDS} s at ${FPS} fps × ${FRAME_BYTES / 1000} KB: ` +
      `fast acker ${fast.frames.length}/${total} (median ${fastDelay.toFixed(1)} ms), ` +
      `fast non-acker ${plain.frames.length}/${total}; ` +
      `10 fps acker: ${slowAcker.frames.length} frames, median delay ${early(slowAcker).toFixed(0)} ms in the first 10 s → ` +
      `${late(slowAcker).toFixed(0)} ms in the last 10 s (limit ${limit.toFixed(0)}); ` +
      `10 fps non-acker: ${slowPlain.frames.length} frames, ${early(slowPlain).toFixed(0)} → ${late(slowPlain).toFixed(0)} ms; ` +
      `relay RSS ${mib(rss[0]?.bytes ?? 0)} MiB at start, ${mib(rssAt10)} at 10 s, peak ${mib(rssPeakLate)} after`,
  );

  // Fast receivers, acking or not, get (nearly) every frame.
  expect(fast.frames.length).toBeGreaterThanOrEqual(Math.ceil(total * 0.99));
  expect(plain.frames.length).toBeGreaterThanOrEqual(Math.ceil(total * 0.99));
  // Every frame is whole: header and JPEG as sent.
  for (const frame of [...fast.frames.slice(0, 5), ...fast.frames.slice(-5)]) {
    expect(frame.byteLength).toBe(HEADER_BYTES + FRAME_BYTES);
  }
  // The slow acking viewer: fresh, and not drifting. "Not larger than early" is judged with a
  // 10 ms allowance: both are ~110 ms medians of ~100 samples on a shared 2-core machine.
  expect(late(slowAcker)).toBeLessThanOrEqual(limit);
  expect(late(slowAcker)).toBeLessThanOrEqual(early(slowAcker) + 10);
  // It drew about as many frames as it can (10 a second), so pacing didn't starve it.
  expect(slowAcker.frames.length).toBeGreaterThan(SECONDS * SLOW_FPS * 0.9);
  // Without acks the same viewer falls behind: today's behaviour, for contrast.
  expect(late(slowPlain)).toBeGreaterThan(late(slowAcker) * 3);
  // Relay memory flat: bounded by buffers, not by time.
  expect(rssPeakLate - rssAt10).toBeLessThan(16 * 2 ** 20);
  // The staleness histogram has this room's acks.
  expect(metrics).toMatch(
    new RegExp(`framecast_ack_staleness_seconds_count\\{room="${ROOM}"\\} [1-9]`),
  );
}, 60_000);
