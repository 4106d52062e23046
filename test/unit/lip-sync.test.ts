// Lip sync's frame choice (web/watch/lip-sync.ts) with made-up capture times.
import { expect, test } from "bun:test";
import {
  AUDIO_LAGS_MS,
  AUDIO_LEADS_MS,
  LipSyncQueue,
  MAX_HELD_FRAMES,
} from "../../web/watch/lip-sync.ts";

test("frames wait for the sound, then the closest one is shown and older ones released", () => {
  const queue = new LipSyncQueue<string>();
  for (const t of [1000, 1066, 1133, 1200]) queue.push(`f${t}`, t);
  // The sound is at 900: every frame is ahead of it by more than 125 ms except none → wait.
  expect(queue.choose(800)).toEqual({ show: null, discard: [] });
  // At 1070: f1066 is closest; f1000 is released unseen.
  const choice = queue.choose(1070);
  expect(choice.show?.item).toBe("f1066");
  expect(choice.discard.map((f) => f.item)).toEqual(["f1000"]);
  expect(queue.size).toBe(2);
});

test("at 15 fps the chosen frame is always within +45/-125 ms of the sound", () => {
  const queue = new LipSyncQueue<number>();
  let shown: number | null = null;
  const offsets: number[] = [];
  let next = 0;
  for (let audio = 0; audio < 5000; audio += 5) {
    // Each frame is decoded 150 ms before the sound reaches it (the jitter buffer's delay).
    while (next * 66.7 <= audio + 150) {
      queue.push(next * 66.7, next * 66.7);
      next++;
    }
    const choice = queue.choose(audio, shown);
    if (choice.show) shown = choice.show.captureTimeMs;
    if (shown !== null && audio > 500) offsets.push(audio - shown);
  }
  expect(Math.max(...offsets)).toBeLessThanOrEqual(AUDIO_LEADS_MS);
  expect(Math.min(...offsets)).toBeGreaterThanOrEqual(-AUDIO_LAGS_MS);
  // Half a frame interval either way, in fact.
  expect(Math.max(...offsets.map(Math.abs))).toBeLessThanOrEqual(34);
});

test("a frame ahead of the sound waits while the one on screen is the closer match", () => {
  const queue = new LipSyncQueue<string>();
  queue.push("early", 900);
  queue.push("next", 1100);
  expect(queue.choose(1000, 1000)).toEqual({
    show: null,
    discard: [{ item: "early", captureTimeMs: 900 }],
  });
  expect(queue.choose(1060, 1000).show?.item).toBe("next");
});

test("without sound the newest frame shows at once; the queue never grows past its limit", () => {
  const queue = new LipSyncQueue<number>();
  const released: number[] = [];
  for (let i = 0; i < MAX_HELD_FRAMES + 5; i++)
    released.push(...queue.push(i, i * 10).map((f) => f.item));
  expect(queue.size).toBe(MAX_HELD_FRAMES);
  expect(released).toEqual([0, 1, 2, 3, 4]);
  const choice = queue.choose(null);
  expect(choice.show?.item).toBe(MAX_HELD_FRAMES + 4);
  expect(choice.discard).toHaveLength(MAX_HELD_FRAMES - 1);
  expect(queue.size).toBe(0);
});
