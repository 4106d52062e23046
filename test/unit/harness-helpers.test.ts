// The bench's building blocks: exact-size JPEG frames, the old-protocol timestamp, percentiles,
// and Prometheus counter parsing.
import { expect, test } from "bun:test";
import jpeg from "jpeg-js";
import { makeJpegFrame, readStampFromBase64, writeStamp } from "../../harness/jpeg-frames.ts";
import { sumMetric } from "../../harness/relay-metrics.ts";
import { percentiles } from "../../harness/stats.ts";
import { looksLikeJpeg } from "../../protocol/index.ts";

test("frames are valid JPEGs of exactly the size asked", () => {
  for (const size of [2_000, 20_000, 40_000, 100_000, 140_000]) {
    const frame = makeJpegFrame(size);
    expect(frame.byteLength).toBe(size);
    expect(looksLikeJpeg(frame)).toBe(true);
    const image = jpeg.decode(frame, { useTArray: true });
    expect(image.width).toBeGreaterThan(0);
  }
}, 20_000); // jpeg-js encodes and decodes 300 KB of JPEG: seconds on a loaded machine

test("too small a frame size is refused with the minimum", () => {
  expect(() => makeJpegFrame(100)).toThrow(/at least/);
});

test("the timestamp survives base64 and the JPEG still decodes", () => {
  const frame = makeJpegFrame(20_000);
  writeStamp(frame, 1_764_000_000_123.456, 7, 42);
  const text = Buffer.from(frame).toString("base64");
  expect(readStampFromBase64(text)).toEqual({
    captureTimeMs: 1_764_000_000_123.456,
    publisher: 7,
    seq: 42,
  });
  expect(jpeg.decode(frame, { useTArray: true }).width).toBeGreaterThan(0);
});

test("percentiles are nearest-rank and ordered", () => {
  const p = percentiles(Array.from({ length: 100 }, (_, i) => 100 - i));
  expect([p.p50, p.p90, p.p99, p.max]).toEqual([50, 90, 99, 100]);
  expect(percentiles([]).count).toBe(0);
});

test("metric sums cover every label set and only that metric", () => {
  const text = [
    "# TYPE framecast_frames_dropped_total counter",
    'framecast_frames_dropped_total{room="a",peer="1"} 3',
    'framecast_frames_dropped_total{room="b",peer="2"} 4',
    "framecast_frames_dropped_total_extra 100",
  ].join("\n");
  expect(sumMetric(text, "framecast_frames_dropped_total")).toBe(7);
  expect(sumMetric(text, "framecast_conversions_total")).toBeNull();
});
