// `bun bench --scenario codecs --quick` end to end (real ffmpeg with libx264, real relays): it
// exits 0, prints its three tables and writes every figure to the JSON. The verdict on made-up
// figures: H.264 above a third of MJPEG's bytes, or short of its SSIM, is a FAIL and a failure.
// No timing or size asserts on the real run: the machine is shared and the bytes are ffmpeg's.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { available, FFMPEG } from "../../harness/tools.ts";
import type { EncodeResult } from "../codec-encode.ts";
import {
  type CodecPair,
  type CodecsFigures,
  codecsReport,
  MAX_H264_SHARE,
  sameQualityVerdict,
} from "../codecs-scenario.ts";

const hasX264 = available(
  "ffmpeg with libx264",
  Bun.spawnSync([FFMPEG, "-hide_banner", "-encoders"]).stdout.toString().includes("libx264"),
  "ffmpeg with libx264 not found: skipping bun bench --scenario codecs",
);

function encode(codec: "mjpeg" | "h264", bytes: number, ssim: number): EncodeResult {
  return {
    codec,
    setting: codec === "mjpeg" ? "-q:v 5" : "crf 30",
    value: codec === "mjpeg" ? 5 : 30,
    width: 640,
    height: 480,
    frames: 60,
    bytes,
    bytesPerFrame: bytes / 60,
    mbitPerSecond: (bytes * 8) / 2 / 1e6,
    ssim,
    cpuMsPerFrame: 1,
  };
}

function pair(h264Bytes: number, h264Ssim: number, matched = true): CodecPair {
  return {
    width: 640,
    height: 480,
    mjpeg: encode("mjpeg", 1_000_000, 0.99),
    h264: encode("h264", h264Bytes, h264Ssim),
    matched,
    bytesRatio: h264Bytes / 1_000_000,
    h264Encodes: 6,
  };
}

test("the verdict: at most a third of MJPEG's bytes at its SSIM passes; more, or short of it, fails", () => {
  expect(sameQualityVerdict(pair(200_000, 0.992))).toEqual({ pass: true, failure: null });
  const heavy = sameQualityVerdict(pair(400_000, 0.992));
  expect(heavy.pass).toBe(false);
  expect(heavy.failure).toContain("40.0% of MJPEG's bytes at equal SSIM");
  const short = sameQualityVerdict(pair(100_000, 0.95, false));
  expect(short.pass).toBe(false);
  expect(short.failure).toContain("lower SSIM");
  expect(MAX_H264_SHARE).toBeCloseTo(1 / 3);
});

test("a failed comparison reads FAIL in the report", () => {
  const same = pair(400_000, 0.992);
  const figures = {
    source: { pattern: "testsrc2", width: 640, height: 480, fps: 30, seconds: 2 },
    mjpegQuality: 5,
    sameQuality: { ...same, maxShare: MAX_H264_SHARE, pass: false },
    room: {
      senders: 15,
      grid: { width: 1280, height: 720 },
      tile: { width: 320, height: 180 },
      drawn: { width: 240, height: 180 },
      ladders: [{ layers: 2, sizes: [{ width: 640, height: 480 }], picked: 0 }],
      perLayer: [{ ...same, pickedBy: [2], mjpegDownlinkMbit: 60, h264DownlinkMbit: 24 }],
      live: null,
    },
    relayCost: null,
    failures: ["x"],
  } satisfies CodecsFigures;
  const text = codecsReport(figures).join("\n");
  expect(text).toContain("FAIL: H.264 takes 40.0% of MJPEG's bytes");
  expect(text).not.toContain("PASS");
});

describe.skipIf(!hasX264)("bun bench --scenario codecs --quick", () => {
  const ROOT = join(import.meta.dir, "..", "..");
  const dir = mkdtempSync(join(tmpdir(), "framecast-bench-codecs-test-"));
  const jsonPath = join(dir, "codecs.json");
  let exitCode: number | null = null;
  let stdout = "";
  let codecs: CodecsFigures;

  beforeAll(async () => {
    const proc = Bun.spawn(
      [process.execPath, "bench/main.ts", "--scenario", "codecs", "--quick", "--json", jsonPath],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const killer = setTimeout(() => proc.kill("SIGINT"), 100_000);
    [stdout] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    clearTimeout(killer);
    exitCode = proc.exitCode;
    if (exitCode !== 0) console.error(stdout, await new Response(proc.stderr).text());
    const report = JSON.parse(readFileSync(jsonPath, "utf8")) as {
      scenarios: Array<{ name: string; codecs: CodecsFigures }>;
    };
    expect(report.scenarios.map((s) => s.name)).toEqual(["codecs"]);
    codecs = report.scenarios[0]?.codecs as CodecsFigures;
  }, 110_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("exits 0 and prints its three tables", () => {
    expect(exitCode).toBe(0);
    expect(stdout).toContain("bytes ÷ MJPEG");
    expect(stdout).toMatch(/PASS: H\.264 takes [0-9.]+% of MJPEG's bytes at equal SSIM/);
    expect(stdout).toContain("16-person room");
    expect(stdout).toContain("H.264 ÷ JPEG µs/dlv");
  });

  test("same quality: both encodes measured, H.264's SSIM at least MJPEG's", () => {
    const { mjpeg, h264, bytesRatio, matched } = codecs.sameQuality;
    for (const r of [mjpeg, h264]) {
      expect(r.frames, r.codec).toBe(60); // 2 s at 30 fps
      expect(r.bytes, r.codec).toBeGreaterThan(0);
      expect(r.bytesPerFrame, r.codec).toBeCloseTo(r.bytes / r.frames);
      expect(r.ssim, r.codec).toBeGreaterThan(0.5);
      expect(r.ssim, r.codec).toBeLessThanOrEqual(1);
      expect(r.cpuMsPerFrame, r.codec).toBeGreaterThanOrEqual(0);
    }
    expect(mjpeg.setting).toBe("-q:v 5");
    expect(h264.setting).toMatch(/^crf \d+$/);
    expect(matched).toBe(true);
    expect(h264.ssim).toBeGreaterThanOrEqual(mjpeg.ssim);
    expect(bytesRatio).toBeCloseTo(h264.bytes / mjpeg.bytes);
    expect(codecs.sameQuality.pass).toBe(bytesRatio <= MAX_H264_SHARE);
  });

  test("room downlink: the layer each ladder's tile asks for, both codecs × 15 senders", () => {
    const { room } = codecs;
    expect(room.senders).toBe(15);
    expect(room.ladders.map((l) => l.layers)).toEqual([2, 3]);
    const asked = room.perLayer.flatMap((p) => p.pickedBy).sort();
    expect(asked).toEqual([2, 3]);
    for (const layer of room.perLayer) {
      expect(layer.mjpegDownlinkMbit).toBeCloseTo(layer.mjpeg.mbitPerSecond * 15);
      expect(layer.h264DownlinkMbit).toBeCloseTo(layer.h264.mbitPerSecond * 15);
      expect(layer.h264.ssim).toBeGreaterThanOrEqual(layer.mjpeg.ssim);
    }
    // Live through a relay: the default ladder's tile layer, both codecs, frames arrived.
    expect(room.live?.runs.map((r) => r.codec)).toEqual(["mjpeg", "h264"]);
    for (const run of room.live?.runs ?? []) {
      expect(run.senders, run.codec).toBe(15);
      expect(run.fpsPerSender, run.codec).toBeGreaterThan(0);
      expect(run.bytesPerSecond, run.codec).toBeGreaterThan(0);
    }
  });

  test("relay cost: kind 1 and kind 4, with and without acks, all delivered, ratios computed", () => {
    const cost = codecs.relayCost;
    expect(cost?.rows.map((r) => [r.target, r.kind, r.acks])).toEqual([
      ["jpeg-acks", 1, true],
      ["h264-acks", 4, true],
      ["jpeg", 1, false],
      ["h264", 4, false],
    ]);
    for (const row of cost?.rows ?? []) {
      expect(row.framesDelivered, row.target).toBeGreaterThan(0);
      expect(row.relayCpuUsPerDelivery, row.target).toBeGreaterThan(0);
    }
    // --quick: one round, so the median of the rounds' ratios is that round's.
    expect(cost?.roundRatiosAcks).toHaveLength(1);
    expect(cost?.roundRatiosNoAcks).toHaveLength(1);
    expect(cost?.ratioAcks).toBe(cost?.roundRatiosAcks[0] as number);
    expect(cost?.ratioNoAcks).toBe(cost?.roundRatiosNoAcks[0] as number);
    expect(cost?.ratioAcks).toBeGreaterThan(0);
    expect(cost?.ratioNoAcks).toBeGreaterThan(0);
  });

  test("writes its chart next to the JSON", () => {
    const svg = readFileSync(join(dir, "codecs.codecs.svg"), "utf8");
    expect(svg).toStartWith("<svg");
    expect(svg).toContain("H.264");
  });
});
