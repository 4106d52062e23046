// `bun bench --scenario codecs` (issue 20): what H.264 saves over JPEG, and what it costs.
// 1. Same picture quality: MJPEG as the CLI sends it (-q:v 5) on testsrc2 640x480@30, its SSIM
//    against the source, then the smallest libx264 (kind 4's settings) with SSIM at least that:
//    bytes per frame, Mbit/s and ffmpeg's CPU per frame for each. H.264 must be ≤ 1/3 the bytes.
// 2. A 16-person room: 15 senders in a 1280x720 grid of 4x4 tiles; the layer a tile asks for
//    (client-core/layer-choice.ts) with the default ladder and with three layers, each codec at
//    equal SSIM at that size, times 15: the downlink one receiver needs.
// 3. Relay CPU per delivered frame, kind 4 vs kind 1 (codecs-relay-cost.ts); target ≤ 1.1×.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devicePixels, fitInside, layerForTile, layerLadder } from "../client-core/layer-choice.ts";
import type { LayerSize } from "../protocol/index.ts";
import {
  type EncodeResult,
  encodedPath,
  h264AtSsim,
  measureEncode,
  type SourceSpec,
  sourceCpuSeconds,
} from "./codec-encode.ts";
import { framesOf, type LiveDownlink, liveDownlink } from "./codecs-live.ts";
import { type RelayCostFigures, runRelayCost } from "./codecs-relay-cost.ts";
import { renderTable } from "./report-table.ts";
import type { Progress, RunPlan } from "./run-scenario.ts";

/** The CLI's default --quality (client/options.ts): MJPEG's -q:v. */
export const CLI_MJPEG_QUALITY = 5;
/** H.264 must take at most this share of MJPEG's bytes at equal SSIM (issue 20's acceptance). */
export const MAX_H264_SHARE = 1 / 3;
const WIDTH = 640;
const HEIGHT = 480;
const FPS = 30;
const ROOM_SENDERS = 15;
const GRID: LayerSize = { width: 1280, height: 720 };
const GRID_SIDE = 4;

export interface CodecsOptions {
  ffmpeg: string;
  relayScript: string;
  relayArgs: string[];
  /** Seconds of test pattern encoded per measurement. */
  encodeSeconds: number;
  /** The relay-cost phases (seconds, rounds ...); null skips the relay cost (--url). */
  relayPlan: RunPlan | null;
  /** Seconds of the live downlink run per codec (it starts its own relays: skipped with --url). */
  liveSeconds: number | null;
  jpeg(bytes: number): Uint8Array;
  progress: Progress;
}

export interface CodecPair {
  width: number;
  height: number;
  mjpeg: EncodeResult;
  h264: EncodeResult;
  /** False when even H.264's lowest CRF tried missed MJPEG's SSIM. */
  matched: boolean;
  /** H.264 bytes ÷ MJPEG bytes. */
  bytesRatio: number;
  /** Encodes the CRF bisection took. */
  h264Encodes: number;
}

export interface CodecsFigures {
  source: { pattern: "testsrc2"; width: number; height: number; fps: number; seconds: number };
  mjpegQuality: number;
  sameQuality: CodecPair & { maxShare: number; pass: boolean };
  room: {
    senders: number;
    grid: LayerSize;
    tile: LayerSize;
    /** The picture's size inside a tile (contain), in device pixels at devicePixelRatio 1. */
    drawn: LayerSize;
    ladders: Array<{ layers: number; sizes: LayerSize[]; picked: number }>;
    perLayer: Array<
      CodecPair & { pickedBy: number[]; mjpegDownlinkMbit: number; h264DownlinkMbit: number }
    >;
    /** The default ladder's tile layer sent live through a relay, per codec (null: not run). */
    live: { layer: LayerSize; runs: LiveDownlink[] } | null;
  };
  relayCost: RelayCostFigures | null;
  failures: string[];
}

async function pairAt(options: CodecsOptions, size: LayerSize, dir: string): Promise<CodecPair> {
  const spec: SourceSpec = { ...size, fps: FPS, seconds: options.encodeSeconds };
  const label = `${size.width}x${size.height}`;
  options.progress.phase(`codecs · source ${label}`, 0);
  const sourceCpu = await sourceCpuSeconds(options.ffmpeg, spec);
  options.progress.phase(`codecs · MJPEG ${label}`, 0);
  const mjpeg = await measureEncode(
    options.ffmpeg,
    spec,
    "mjpeg",
    CLI_MJPEG_QUALITY,
    dir,
    sourceCpu,
  );
  options.progress.phase(`codecs · H.264 ${label} at SSIM ≥ ${mjpeg.ssim.toFixed(4)}`, 0);
  const found = await h264AtSsim(options.ffmpeg, spec, mjpeg.ssim, dir, sourceCpu);
  return {
    width: size.width,
    height: size.height,
    mjpeg,
    h264: found.result,
    matched: found.matched,
    bytesRatio: found.result.bytes / mjpeg.bytes,
    h264Encodes: found.tried,
  };
}

const KB = 1000;
const fixed = (value: number, digits: number) => value.toFixed(digits);
const sizeText = (s: LayerSize) => `${s.width}x${s.height}`;

function encodeRow(name: string, r: EncodeResult, ratio: string): string[] {
  return [
    name,
    r.setting,
    fixed(r.ssim, 4),
    fixed(r.bytesPerFrame / KB, 1),
    fixed(r.mbitPerSecond, 2),
    fixed(r.cpuMsPerFrame, 2),
    ratio,
  ];
}

/** Issue 20's acceptance: H.264 at MJPEG's SSIM (or better) in at most MAX_H264_SHARE of its bytes. */
export function sameQualityVerdict(pair: CodecPair): { pass: boolean; failure: string | null } {
  const pass = pair.matched && pair.bytesRatio <= MAX_H264_SHARE;
  if (pass) return { pass, failure: null };
  return {
    pass,
    failure:
      `codecs: H.264 took ${fixed(pair.bytesRatio * 100, 1)}% of MJPEG's bytes at ` +
      `${pair.matched ? "equal" : "lower"} SSIM (at most ${fixed(MAX_H264_SHARE * 100, 1)}% allowed)`,
  };
}

/** The scenario's text report, drawn from its figures. */
export function codecsReport(figures: CodecsFigures): string[] {
  const { source, sameQuality: same, room, relayCost } = figures;
  const lines = [
    `codecs (issue 20): ${source.pattern} ${source.width}x${source.height} ${source.fps} fps, ` +
      `${source.seconds} s per encode; H.264 = libx264 baseline veryfast zerolatency -bf 0 -g ${source.fps}, ` +
      "CRF bisected to the MJPEG's SSIM (ffmpeg ssim, All)",
    renderTable(
      ["codec", "setting", "ssim", "KB/frame", "Mbit/s", "cpu ms/frame", "bytes ÷ MJPEG"],
      [
        encodeRow("MJPEG", same.mjpeg, "1.00"),
        encodeRow("H.264", same.h264, fixed(same.bytesRatio, 3)),
      ],
    ),
    `  ${same.pass ? "PASS" : "FAIL"}: H.264 takes ${fixed(same.bytesRatio * 100, 1)}% of MJPEG's bytes at ` +
      `${same.matched ? "equal" : "LOWER (no CRF reached it)"} SSIM (at most ${fixed(same.maxShare * 100, 1)}% allowed)`,
    "  cpu ms/frame: ffmpeg's user+sys time (all threads, from its resource usage) less making the source alone",
    "",
    `codecs: downlink of one receiver in a ${room.senders + 1}-person room (${room.senders} senders, ` +
      `${sizeText(room.grid)} grid, ${sizeText(room.tile)} tiles: the picture drawn at ${sizeText(room.drawn)})`,
    `  the tile asks for: ${room.ladders
      .map(
        (l) =>
          `${sizeText(l.sizes[l.picked] as LayerSize)} with ${l.layers} layers (${l.sizes.map(sizeText).join(", ")})` +
          `${l.layers === 2 ? " = both clients' default" : ""}`,
      )
      .join("; ")}`,
    renderTable(
      [
        "layer",
        "asked with",
        "MJPEG ssim",
        "H.264 ssim",
        "MJPEG ×15 Mbit/s",
        "H.264 ×15 Mbit/s",
        "H.264 ÷ MJPEG",
      ],
      room.perLayer.map((p) => [
        sizeText(p),
        p.pickedBy.map((n) => `${n} layers`).join(", "),
        fixed(p.mjpeg.ssim, 4),
        `${fixed(p.h264.ssim, 4)}${p.matched ? "" : " (lower)"}`,
        fixed(p.mjpegDownlinkMbit, 2),
        fixed(p.h264DownlinkMbit, 2),
        fixed(p.bytesRatio, 3),
      ]),
    ),
  ];
  if (room.live) {
    const runs = room.live.runs;
    lines.push(
      `  live, ${room.senders} senders × ${sizeText(room.live.layer)} at ${FPS} fps through a relay to one acking receiver: ` +
        runs
          .map(
            (r) =>
              `${r.codec === "mjpeg" ? "MJPEG" : "H.264"} ${fixed(r.mbitPerSecond, 2)} Mbit/s (${fixed(r.fpsPerSender, 1)} fps per sender)`,
          )
          .join(", "),
    );
  }
  if (!relayCost) {
    lines.push(
      "  relay CPU and the live downlink: not measured (they start relays of their own; --url)",
    );
  }
  if (relayCost) {
    const s = relayCost.scenario;
    lines.push(
      "",
      `codecs: relay CPU per delivered frame, ${s.publishers} senders → ${s.receivers} receivers and each other, ` +
        `${s.frameBytes / KB} KB at ${s.fps} fps (the same bytes as kind 1 and as kind 4, a key frame every 30th)`,
      renderTable(
        [
          "relay",
          "acks",
          "kind",
          "delivered",
          "deliv%",
          "p50 ms",
          "p99 ms",
          "cpu s/phase",
          "µs/dlv",
        ],
        relayCost.rows.map((r) => [
          r.target,
          r.acks ? "yes" : "no",
          String(r.kind),
          String(r.framesDelivered),
          fixed(r.deliveryRatio * 100, 2),
          fixed(r.latencyP50Ms, 2),
          fixed(r.latencyP99Ms, 2),
          r.relayCpuSeconds === null ? "n/a" : fixed(r.relayCpuSeconds, 2),
          r.relayCpuUsPerDelivery === null ? "n/a" : fixed(r.relayCpuUsPerDelivery, 1),
        ]),
      ),
    );
    const verdict = (name: string, value: number | null) =>
      value === null
        ? `${name} n/a`
        : `${name} ${fixed(value, 2)}× (${value <= relayCost.target ? "within" : "OVER"} the ${fixed(relayCost.target, 1)}× target)`;
    const rounds = (values: number[]) => values.map((v) => fixed(v, 2)).join(", ");
    lines.push(
      `  H.264 ÷ JPEG µs/dlv, median of each round's ratio: ${verdict("with acks", relayCost.ratioAcks)}; ${verdict("without", relayCost.ratioNoAcks)}`,
      `    per round: with acks ${rounds(relayCost.roundRatiosAcks)}; without ${rounds(relayCost.roundRatiosNoAcks)}` +
        ` (all rounds pooled: ${relayCost.pooledRatioAcks ?? "n/a"}, ${relayCost.pooledRatioNoAcks ?? "n/a"})`,
    );
  }
  return lines;
}

/** The default ladder's tile layer (both clients send 2 layers) through a real relay, per codec. */
async function liveRun(
  options: CodecsOptions,
  perLayer: CodecsFigures["room"]["perLayer"],
  dir: string,
): Promise<CodecsFigures["room"]["live"]> {
  const layer = perLayer.find((p) => p.pickedBy.includes(2));
  if (options.liveSeconds === null || !layer) return null;
  const runs: LiveDownlink[] = [];
  for (const result of [layer.mjpeg, layer.h264]) {
    options.progress.phase(
      `codecs · live: ${ROOM_SENDERS} senders → 1 receiver, ${result.codec}`,
      options.liveSeconds + 1.5,
    );
    runs.push(
      await liveDownlink({
        relayScript: options.relayScript,
        relayArgs: options.relayArgs,
        codec: result.codec,
        frames: framesOf(encodedPath(dir, layer, result.codec, result.value), result.codec),
        senders: ROOM_SENDERS,
        fps: FPS,
        seconds: options.liveSeconds,
      }),
    );
  }
  return { layer: { width: layer.width, height: layer.height }, runs };
}

export async function runCodecsBench(
  options: CodecsOptions,
): Promise<{ lines: string[]; figures: CodecsFigures }> {
  const dir = mkdtempSync(join(tmpdir(), "framecast-bench-codecs-"));
  try {
    const full = await pairAt(options, { width: WIDTH, height: HEIGHT }, dir);
    const verdict = sameQualityVerdict(full);
    const tile = { width: GRID.width / GRID_SIDE, height: GRID.height / GRID_SIDE };
    const inside = fitInside(tile, { width: WIDTH, height: HEIGHT });
    const drawn = devicePixels(inside.width, inside.height, 1);
    const ladders = [2, 3].map((layers) => {
      const sizes = layerLadder(WIDTH, HEIGHT, layers);
      return { layers, sizes, picked: layerForTile(sizes, drawn) };
    });
    const perLayer: CodecsFigures["room"]["perLayer"] = [];
    for (const ladder of ladders) {
      const size = ladder.sizes[ladder.picked] as LayerSize;
      const known = perLayer.find((p) => p.width === size.width && p.height === size.height);
      if (known) {
        known.pickedBy.push(ladder.layers);
        continue;
      }
      const pair =
        size.width === WIDTH && size.height === HEIGHT ? full : await pairAt(options, size, dir);
      const downlink = (r: EncodeResult) => r.mbitPerSecond * ROOM_SENDERS;
      perLayer.push({
        ...pair,
        pickedBy: [ladder.layers],
        mjpegDownlinkMbit: downlink(pair.mjpeg),
        h264DownlinkMbit: downlink(pair.h264),
      });
    }
    const live = await liveRun(options, perLayer, dir);
    const relayCost = options.relayPlan
      ? await runRelayCost(
          { script: options.relayScript, args: options.relayArgs },
          options.jpeg(20 * KB),
          options.relayPlan,
          options.progress,
        )
      : null;
    const failures = verdict.failure ? [verdict.failure] : [];
    const figures: CodecsFigures = {
      source: {
        pattern: "testsrc2",
        width: WIDTH,
        height: HEIGHT,
        fps: FPS,
        seconds: options.encodeSeconds,
      },
      mjpegQuality: CLI_MJPEG_QUALITY,
      sameQuality: { ...full, maxShare: MAX_H264_SHARE, pass: verdict.pass },
      room: { senders: ROOM_SENDERS, grid: GRID, tile, drawn, ladders, perLayer, live },
      relayCost,
      failures,
    };
    return { lines: codecsReport(figures), figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
