// A receiver that stops reading must not delay the others nor grow the relay's memory.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame, readCaptureTime } from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";
import { joinStalledPeer, rssBytes, type StalledPeer } from "../support/stalled-peer.ts";

const FRAME_BYTES = 100_000;
const FPS = 50;

let relay: SpawnedRelay;
let stalled: StalledPeer | undefined;

beforeAll(async () => {
  relay = await startRelay(["--backpressure-limit", "256KiB"]);
});

afterAll(async () => {
  await stalled?.kill();
  await relay.stop();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Sends frames at FPS for `seconds` on a drift-free schedule; returns how many were sent. */
async function sendFor(
  sender: TestPeer,
  seconds: number,
  firstSeq: number,
  onTick?: () => void,
): Promise<number> {
  const jpeg = makeJpegOfSize(FRAME_BYTES, 1);
  const start = performance.now();
  const count = seconds * FPS;
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / FPS;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    sender.ws.send(
      encodeVideoFrame(jpeg, performance.timeOrigin + performance.now(), firstSeq + i),
    );
    onTick?.();
  }
  return count;
}

test("a stalled receiver: others get every frame on time, relay memory stays bounded, drops counted", async () => {
  const sender = await TestPeer.join(relay.wsUrl, "stall", "sender");
  const fast = await TestPeer.join(relay.wsUrl, "stall", "fast");
  stalled = await joinStalledPeer(`${relay.wsUrl}/v1/rooms/stall?name=frozen`);
  await fast.waitForControl("join", (j) => j.peer.id === stalled?.id);
  const latencies = () =>
    fast.binary.map((m, i) => (fast.binaryTimes[i] as number) - readCaptureTime(m));

  // Phase 1: everyone reads. Phase 2: the third peer freezes while frames keep coming.
  const phase1 = await sendFor(sender, 2, 0);
  await fast.waitFor(() => fast.binary.length >= phase1, "phase 1 frames");
  const before = latencies();
  const rssBefore = await rssBytes(relay.proc.pid);

  stalled.stall();
  let rssPeak = rssBefore;
  let tick = 0;
  const phase2 = await sendFor(sender, 6, phase1, () => {
    if (++tick % 25 === 0)
      void rssBytes(relay.proc.pid).then((rss) => (rssPeak = Math.max(rssPeak, rss)));
  });
  await fast.waitFor(() => fast.binary.length >= phase1 + phase2, "phase 2 frames", 10_000);
  const during = latencies().slice(phase1 + FPS * 2); // the last 4 s, long after the stall began

  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  const droppedForFrozen = Number(
    new RegExp(`framecast_peer_frames_dropped\\{[^}]*peer_id="${stalled.id}"[^}]*\\} (\\d+)`).exec(
      metrics,
    )?.[1] ?? 0,
  );
  const droppedForFast = Number(
    new RegExp(
      `framecast_peer_frames_dropped\\{[^}]*peer_id="${fast.welcome.id}"[^}]*\\} (\\d+)`,
    ).exec(metrics)?.[1] ?? -1,
  );
  const sentToFrozen = phase2 * FRAME_BYTES;
  console.log(
    `stalled: fast receiver got ${fast.binary.length}/${phase1 + phase2}; median latency ${median(before).toFixed(1)} ms before, ` +
      `${median(during).toFixed(1)} ms during (max ${Math.max(...during).toFixed(1)}); relay RSS ${(rssBefore / 2 ** 20).toFixed(1)} → peak ` +
      `${(rssPeak / 2 ** 20).toFixed(1)} MiB while ${(sentToFrozen / 2 ** 20).toFixed(1)} MiB were due to the frozen peer; ` +
      `${droppedForFrozen} drops charged to it`,
  );

  expect(fast.binary.length).toBe(phase1 + phase2); // every frame, none lost to the stall
  expect(droppedForFast).toBe(0);
  // Most of what the frozen peer was due was dropped at the relay, not buffered.
  expect(droppedForFrozen).toBeGreaterThan(phase2 / 3);
  // The relay holds ~ the backpressure limit for it, not the 28 MiB it was due.
  expect(rssPeak - rssBefore).toBeLessThan(sentToFrozen / 2);
  // Behavioural, not a benchmark: a stall that blocked fan-out would push this to seconds.
  expect(median(during)).toBeLessThan(Math.max(50, median(before) * 3));
  sender.close();
  fast.close();
}, 40_000);
