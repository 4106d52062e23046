// The recorder's picture and sound timelines (client/outputs/picture-timeline.ts,
// sound-timeline.ts) on made-up capture times.
import { expect, test } from "bun:test";
import {
  MAX_FILL_SECONDS,
  pictureLag,
  placePicture,
} from "../../client/outputs/picture-timeline.ts";
import { soundGranule } from "../../client/outputs/sound-timeline.ts";
import { OGG_GRANULES_PER_MS } from "../../client/send/ogg-opus.ts";

test("a frame takes the slot of its capture time; a gap repeats the previous frame", () => {
  // 10 fps: slots every 100 ms from origin 1000.
  expect(placePicture(1000, 1000, 0, 10, false)).toEqual({ repeats: 0, originMs: 1000 });
  expect(placePicture(1100, 1000, 1, 10, true)).toEqual({ repeats: 0, originMs: 1000 });
  // Slot 4 after 2 written: slots 2 and 3 are the previous frame again.
  expect(placePicture(1400, 1000, 2, 10, true)).toEqual({ repeats: 2, originMs: 1000 });
  // No previous frame: nothing to repeat.
  expect(placePicture(1400, 1000, 2, 10, false)).toEqual({ repeats: 0, originMs: 1000 });
});

test("one slot early is jitter (next slot); earlier than that is dropped", () => {
  expect(placePicture(1200, 1000, 3, 10, true)).toEqual({ repeats: 0, originMs: 1000 });
  expect(placePicture(1100, 1000, 3, 10, true)).toBeNull();
});

test("a pause longer than MAX_FILL_SECONDS is shortened: the origin moves past it", () => {
  const pausedSlots = 60 * 10; // a minute at 10 fps, after 1 frame written
  const placement = placePicture(1000 + (pausedSlots + 1) * 100, 1000, 1, 10, true);
  expect(placement?.repeats).toBe(MAX_FILL_SECONDS * 10);
  expect(placement?.originMs).toBe(1000 + (pausedSlots - MAX_FILL_SECONDS * 10) * 100);
});

test("the pictures' lag is smoothed", () => {
  // Frame 1 (written = 1) at 0 ms in the file, captured 30 ms after the origin: 30 ms early.
  expect(pictureLag(null, 1, 10, 1030, 1000)).toBe(-30);
  expect(pictureLag(-30, 2, 10, 1100, 1000)).toBeCloseTo(-27, 5);
});

test("sound granules: end of the packet on the file's timeline, shifted by the pictures' lag", () => {
  expect(soundGranule(1000, 1000, null, 0)).toBe(20 * OGG_GRANULES_PER_MS);
  expect(soundGranule(1000, 1000, 10, 0)).toBe(30 * OGG_GRANULES_PER_MS);
  // Ends before the first picture: kept, as the file's first packet.
  expect(soundGranule(970, 1000, null, 0)).toBe(20 * OGG_GRANULES_PER_MS);
  // Late or repeated: kept, right after the previous packet; never backwards.
  expect(soundGranule(1000, 1000, null, 20 * OGG_GRANULES_PER_MS)).toBe(40 * OGG_GRANULES_PER_MS);
  expect(soundGranule(990, 1000, null, 40 * OGG_GRANULES_PER_MS)).toBe(60 * OGG_GRANULES_PER_MS);
});
