// The soak report's arithmetic and chart: a flat series has no growth, a growing one is caught,
// the first/last windows are what they say, and the SVG has one line per relay and figure.
import { expect, test } from "bun:test";
import { firstAndLast, growthPer10Min, type SoakRow, slope, soakSvg } from "../soak-report.ts";

function rows(minutes: number, heap: (minute: number) => number): SoakRow[] {
  return Array.from({ length: minutes + 1 }, (_, minute) => ({
    minute,
    relays: [
      { rssMB: 70, heapMB: heap(minute), openFds: 25, stateEntries: 180, cpuPercent: 3 },
      { rssMB: 71, heapMB: 5, openFds: 25, stateEntries: 180, cpuPercent: null },
    ],
    p50Ms: 1.5,
    p99Ms: 4,
    delivery: 1,
    joins: 15,
    leaves: 15,
    unexpectedCloses: 0,
  }));
}

test("slope is the least-squares slope", () => {
  expect(
    slope([
      [0, 1],
      [1, 3],
      [2, 5],
    ]),
  ).toBeCloseTo(2);
  expect(slope([[0, 4]])).toBe(0);
});

test("growth over the second half: flat is 0, 1 MB per 10 min of ~5 MB is ~20 %", () => {
  expect(
    growthPer10Min(
      rows(60, () => 5),
      (r) => r.relays[0]?.heapMB ?? null,
    ),
  ).toBe(0);
  // Growth only in the first half (warming up) is not growth.
  const warming = rows(60, (m) => (m < 30 ? 4 + m / 30 : 5));
  expect(growthPer10Min(warming, (r) => r.relays[0]?.heapMB ?? null)).toBe(0);
  const leaking = rows(60, (m) => 4 + m / 10);
  const growth = growthPer10Min(leaking, (r) => r.relays[0]?.heapMB ?? null);
  expect(growth).toBeGreaterThan(10);
});

test("first and last windows: 10 minutes each, or a third of a short run", () => {
  const long = firstAndLast(rows(60, () => 5));
  expect(long.first.map((r) => r.minute)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(long.last.map((r) => r.minute)).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
  const short = firstAndLast(rows(3, () => 5));
  expect(short.first.map((r) => r.minute)).toEqual([1]);
  expect(short.last.map((r) => r.minute)).toEqual([2, 3]);
});

test("the chart has a line per relay for each relay figure, and the room's", () => {
  const svg = soakSvg(
    rows(5, () => 5),
    "soak <test>",
  );
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg).toContain("soak &#60;test&#62;");
  // 5 relay panels × 2 relays + latency (2) + delivery (1) + joins/leaves (2).
  expect(svg.match(/<polyline/g)?.length).toBe(15);
});
