// Drops are counted exactly when they happen: for a receiver that stops reading, the frames the
// relay says it dropped plus the frames the receiver gets once it reads again add up to every
// frame sent, while a receiver that keeps up loses none and is charged none.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame } from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";
import { joinStalledPeer, type StalledPeer } from "../support/stalled-peer.ts";

const FRAME_BYTES = 100_000;
const FRAMES = 150;
const FPS = 50;

let relay: SpawnedRelay;
const stalled: StalledPeer[] = [];

beforeAll(async () => {
  relay = await startRelay(["--backpressure-limit", "256KiB", "--max-bytes-per-second", "0"]);
});

afterAll(async () => {
  await Promise.all(stalled.map((peer) => peer.kill()));
  await relay.stop();
});

async function droppedFor(id: number): Promise<number> {
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  const match = new RegExp(
    `framecast_peer_frames_dropped\\{[^}]*peer_id="${id}"[^}]*\\} (\\d+)`,
  ).exec(metrics);
  return Number(match?.[1] ?? 0);
}

async function totalDropped(): Promise<number> {
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  return Number(/^framecast_frames_dropped_total (\d+)/m.exec(metrics)?.[1] ?? -1);
}

/** Waits until the peer's count has not moved for `quietMs`. */
async function settled(peer: StalledPeer, quietMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = peer.frames();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
    await Bun.sleep(50);
  }
  return last;
}

test("dropped + received = sent for each stalled receiver; nothing charged to one that keeps up", async () => {
  const sender = await TestPeer.join(relay.wsUrl, "drops", "sender");
  const fast = await TestPeer.join(relay.wsUrl, "drops", "fast");
  for (const name of ["frozen-1", "frozen-2"]) {
    const peer = await joinStalledPeer(`${relay.wsUrl}/v1/rooms/drops?name=${name}`);
    stalled.push(peer);
    await fast.waitForControl("join", (j) => j.peer.id === peer.id);
  }
  const [first, second] = stalled as [StalledPeer, StalledPeer];
  first.stall();
  const jpeg = makeJpegOfSize(FRAME_BYTES, 3);
  const start = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    // The second one freezes a third of the way in, so its drops start while the first's go on.
    if (i === FRAMES / 3) second.stall();
    const wait = start + (i * 1000) / FPS - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    sender.ws.send(encodeVideoFrame(jpeg, Date.now(), i));
  }
  await fast.waitFor(() => fast.binary.length === FRAMES, "every frame at the fast receiver");
  first.resume();
  second.resume();
  const got = [await settled(first, 1000, 15_000), await settled(second, 1000, 15_000)];
  const dropped = [await droppedFor(first.id), await droppedFor(second.id)];
  console.log(
    `drop count: frozen-1 got ${got[0]} + dropped ${dropped[0]}, frozen-2 got ${got[1]} + dropped ${dropped[1]}, of ${FRAMES} sent`,
  );
  for (let i = 0; i < 2; i++) {
    expect(dropped[i]).toBeGreaterThan(0); // the stall really overflowed the relay's buffer
    expect((got[i] as number) + (dropped[i] as number)).toBe(FRAMES);
  }
  expect(await droppedFor(fast.welcome.id)).toBe(0);
  expect(await totalDropped()).toBe((dropped[0] as number) + (dropped[1] as number));
  sender.close();
  fast.close();
}, 40_000);
