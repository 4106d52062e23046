import { describe, expect, test } from "bun:test";
import jpeg from "jpeg-js";
import { MjpegSplitter, type SplitterDropReason } from "../../client/send/mjpeg-splitter.ts";
import { ffmpegTestPattern } from "../../harness/tools.ts";
import {
  chunked,
  concat,
  makeJpeg,
  seededRandom,
  segment,
  withSegmentsAfterSoi,
} from "../fixtures/client/jpeg.ts";

interface Run {
  frames: Uint8Array[];
  drops: { reason: SplitterDropReason; bytes: number }[];
  splitter: MjpegSplitter;
}

function split(
  chunks: Uint8Array[],
  options: { maxFrameBytes?: number; headroom?: number } = {},
): Run {
  const frames: Uint8Array[] = [];
  const drops: Run["drops"] = [];
  const splitter = new MjpegSplitter({
    ...options,
    // Copy: the test keeps frames after the splitter moves on (it does not reuse them, but be strict).
    onFrame: (frame) => frames.push(frame.slice()),
    onDrop: (reason, bytes) => drops.push({ reason, bytes }),
  });
  for (const chunk of chunks) splitter.push(chunk);
  return { frames, drops, splitter };
}

const A = makeJpeg(1);
const B = makeJpeg(2, 48, 40);
const C = makeJpeg(3);
// FF D9 (EOI) and FF D8 (SOI) hidden inside APP1 and COM payloads: a naive splitter cuts here.
const TRICKY = withSegmentsAfterSoi(
  makeJpeg(4),
  segment(0xe1, [0x45, 0x78, 0x69, 0x66, 0, 0, 0xff, 0xd9, 0xff, 0xd8, 0xff, 0xd9]),
  segment(0xfe, [0xff, 0xd9, 0x41, 0xff, 0xd9]),
);
const STREAM = concat(A, B, TRICKY, C);
const EXPECTED = [A, B, TRICKY, C];

describe("MjpegSplitter", () => {
  test("one chunk with several frames yields them byte for byte", () => {
    const { frames, drops } = split([STREAM]);
    expect(frames).toEqual(EXPECTED);
    expect(drops).toEqual([]);
  });

  test("every fixed chunk size from 1 to 64 bytes gives the same frames", () => {
    for (let size = 1; size <= 64; size++) {
      const { frames, drops } = split(chunked(STREAM, [size]));
      expect(frames).toEqual(EXPECTED);
      expect(drops).toEqual([]);
    }
  });

  test("random chunk boundaries (1 byte to 3 kB) give the same frames", () => {
    const random = seededRandom(42);
    for (let round = 0; round < 200; round++) {
      const sizes = Array.from({ length: 16 }, () => 1 + Math.floor(random() ** 3 * 3000));
      expect(split(chunked(STREAM, sizes)).frames).toEqual(EXPECTED);
    }
  });

  test("FF D9 inside APP1 and COM segments does not end the frame early; it still decodes", () => {
    const { frames } = split(chunked(TRICKY, [1]));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual(TRICKY);
    const image = jpeg.decode(frames[0] as Uint8Array);
    expect([image.width, image.height]).toEqual([32, 24]);
  });

  test("garbage before the first SOI (and between frames) is skipped and counted", () => {
    const garbage = new Uint8Array([0x00, 0xff, 0x00, 0xff, 0xd9, 0xff, 0xff, 0x12, 0xff]);
    const stream = concat(garbage, A, garbage, B);
    for (const size of [1, 2, 3, 7, 1000]) {
      const { frames, splitter } = split(chunked(stream, [size]));
      expect(frames).toEqual([A, B]);
      expect(splitter.skippedBytes).toBe(garbage.byteLength * 2);
    }
  });

  test("a runaway frame is dropped with a warning, memory stays bounded, the next frame is kept", () => {
    // SOI + SOS header, then scan data that never ends (no EOI) for 100 kB.
    const runaway = concat(
      new Uint8Array([0xff, 0xd8]),
      segment(0xda, [1, 1, 0, 0, 63, 0]),
      new Uint8Array(100_000).fill(0x55),
    );
    const chunks = chunked(concat(runaway, A), [4096]);
    const frames: Uint8Array[] = [];
    const drops: SplitterDropReason[] = [];
    let maxPending = 0;
    const splitter = new MjpegSplitter({
      maxFrameBytes: 20_000,
      onFrame: (frame) => frames.push(frame.slice()),
      onDrop: (reason) => drops.push(reason),
    });
    for (const chunk of chunks) {
      splitter.push(chunk);
      maxPending = Math.max(maxPending, splitter.pendingBytes);
    }
    expect(drops).toEqual(["runaway"]);
    expect(maxPending).toBeLessThanOrEqual(20_000);
    expect(frames).toEqual([A]);
  });

  test("a frame cut short in its scan data by a new SOI is dropped and the new frame is kept", () => {
    const truncated = A.subarray(0, A.byteLength - 40);
    for (const size of [1, 5, 5000]) {
      const { frames, drops } = split(chunked(concat(truncated, B, C), [size]));
      expect(frames).toEqual([B, C]);
      expect(drops.map((drop) => drop.reason)).toEqual(["corrupt"]);
    }
  });

  test("a frame cut short inside a header segment costs at most the next frame, then resyncs", () => {
    // The cut lands inside the DQT payload, so the next SOI is read as segment bytes:
    // no splitter that honours segment lengths can see it; it must recover afterwards.
    const truncated = A.subarray(0, 30);
    const { frames, drops } = split(chunked(concat(truncated, B, C, A), [3]));
    expect(frames.slice(-2)).toEqual([C, A]);
    expect(drops.length).toBeGreaterThanOrEqual(1);
  });

  test("stuffed FF 00, RST markers and fill bytes in scan data are followed", () => {
    const frame = concat(
      new Uint8Array([0xff, 0xd8]),
      segment(0xda, [1, 1, 0, 0, 63, 0]),
      new Uint8Array([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xff, 0xd7, 0x00]),
      new Uint8Array([0xff, 0xff, 0xd9]),
    );
    for (const size of [1, 2, 3, 100]) {
      expect(split(chunked(concat(frame, A), [size])).frames).toEqual([frame, A]);
    }
  });

  test("headroom: each frame starts at byteOffset = headroom and owns its buffer", () => {
    const { frames, splitter } = split(chunked(STREAM, [777]), { headroom: 20 });
    expect(frames).toEqual(EXPECTED);
    const raw: Uint8Array[] = [];
    const owned = new MjpegSplitter({ headroom: 20, onFrame: (frame) => raw.push(frame) });
    for (const chunk of chunked(STREAM, [777])) owned.push(chunk);
    for (const frame of raw) expect(frame.byteOffset).toBe(20);
    expect(new Set(raw.map((frame) => frame.buffer)).size).toBe(raw.length);
    expect(splitter.frames).toBe(4);
  });

  test("real ffmpeg MJPEG output splits into the requested number of decodable frames", () => {
    const ffmpeg = ffmpegTestPattern([
      "-frames:v",
      "20",
      "-c:v",
      "mjpeg",
      "-q:v",
      "5",
      "-f",
      "mjpeg",
      "pipe:1",
    ]);
    expect(ffmpeg.exitCode).toBe(0);
    const output = new Uint8Array(ffmpeg.stdout);
    const random = seededRandom(7);
    const sizes = Array.from({ length: 50 }, () => 1 + Math.floor(random() * 9000));
    const { frames, drops, splitter } = split(chunked(output, sizes));
    expect(drops).toEqual([]);
    expect(splitter.skippedBytes).toBe(0);
    expect(frames).toHaveLength(20);
    expect(frames.reduce((sum, frame) => sum + frame.byteLength, 0)).toBe(output.byteLength);
    for (const frame of frames) {
      const image = jpeg.decode(frame);
      expect([image.width, image.height]).toEqual([320, 240]);
    }
  });
});
