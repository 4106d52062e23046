// `bun bench --scenario audio`: 4 participants sending sound (real Opus packets, 32 kbit/s,
// 20 ms) to each other through one relay, measured in three phases of --seconds each:
//   1. sound only: relay CPU per audio packet delivered;
//   2. sound and video (--frame-bytes at --fps, acked like the page does): per-packet audio
//      latency capture → receive (p50/p99), packet loss;
//   3. the same plus one slow viewer that draws 10 fps and acks (as the page and the CLI do): the
//      others' figures and the slow viewer's own audio loss and latency;
//   4. the same with a slow viewer that doesn't ack (its video is dropped at the relay, and
//      seconds of it wait in the kernel's socket buffers, ahead of its sound).
// Also the bytes per audio stream on the wire. The participants run in bench/processes/audio-load.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFfmpeg } from "../client/find-ffmpeg.ts";
import { audioOutputArgs } from "../client/send/audio-source.ts";
import { OggOpusReader } from "../client/send/ogg-opus.ts";
import { stopProcess, track } from "../harness/child-processes.ts";
import { sumMetric } from "../harness/relay-metrics.ts";
import { httpUrlOf, startRelayProcess } from "../harness/relay-process.ts";
import { startSlowViewer } from "../harness/slow-viewer-process.ts";
import { type Percentiles, percentiles, roundPercentiles } from "../harness/stats.ts";
import { roomUrl } from "../protocol/index.ts";
import { nowMs } from "./client-protocol.ts";
import { cpuSeconds } from "./proc-stats.ts";
import type { Progress, RunPlan, ScenarioResult } from "./run-scenario.ts";
import type { Scenario } from "./scenarios.ts";

const AUDIO_LOAD = new URL("./processes/audio-load.ts", import.meta.url).pathname;
/** WebSocket framing of a small client → relay message: 2 header bytes + 4 of mask. */
const CLIENT_FRAMING_BYTES = 6;

export interface AudioPhaseResult {
  phase: "audio-only" | "audio-video" | "slow-viewer-acks" | "slow-viewer-no-acks";
  participants: number;
  videoFps: number;
  frameBytes: number;
  latencyMs: Percentiles;
  audioSent: number;
  audioExpected: number;
  audioLost: number;
  lossRatio: number;
  /** One stream's bit rate on the wire: header + Opus + WebSocket framing, 50 a second. */
  kbitPerStream: number;
  relayCpuSeconds: number | null;
  /**
   * Relay CPU per audio delivery in the sound-only phase (all the relay did was audio), less
   * what the idle relay uses over the same time (pings, timers, GC).
   */
  relayCpuUsPerAudioDelivery: number | null;
  /** The same per audio packet received from a sender (each fanned out to 3). */
  relayCpuUsPerAudioPacket: number | null;
  relayAudioDeliveries: number | null;
  relayAudioDrops: number | null;
  videoSent: number;
  videoReceived: number;
  slowViewer?: {
    acks: boolean;
    audioReceived: number;
    audioExpected: number;
    latencyMs: Percentiles;
    videoFrames: number;
  };
}

/** Opus packets of 10 s of pink noise, encoded as the CLI does, u16-length-prefixed. */
async function encodeOpusFile(path: string): Promise<number> {
  const ffmpeg = await findFfmpeg(null);
  const run = Bun.spawn(
    [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"].concat([
      "anoisesrc=color=pink:amplitude=0.3:duration=10:sample_rate=48000",
      ...audioOutputArgs(0, 1),
    ]),
    { stdout: "pipe", stderr: "ignore" },
  );
  const parts: Uint8Array[] = [];
  const reader = new OggOpusReader(({ data }) => {
    const length = new Uint8Array(2);
    new DataView(length.buffer).setUint16(0, data.byteLength, true);
    parts.push(length, data);
  });
  for await (const chunk of run.stdout) reader.push(chunk);
  await run.exited;
  writeFileSync(path, Buffer.concat(parts));
  return parts.length / 2;
}

async function metric(httpUrl: string, name: string): Promise<number | null> {
  try {
    return sumMetric(await (await fetch(`${httpUrl}/metrics`)).text(), name);
  } catch {
    return null;
  }
}

interface LoadResult {
  latenciesMs: number[];
  audioSent: number;
  audioExpected: number;
  audioLost: number;
  audioBytesSent: number;
  videoSent: number;
  videoReceived: number;
}

async function runLoad(
  roomUrl: string,
  participants: number,
  seconds: number,
  frameBytes: number,
  fps: number,
  opusFile: string,
): Promise<LoadResult> {
  const proc = track(
    Bun.spawn(
      [process.execPath, AUDIO_LOAD, roomUrl, String(participants), String(seconds)].concat([
        String(frameBytes),
        String(fps),
        opusFile,
      ]),
      { stdout: "pipe", stderr: "inherit" },
    ),
  );
  const killer = setTimeout(() => void stopProcess(proc, 500), (seconds + 20) * 1000);
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  clearTimeout(killer);
  const line = text.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as LoadResult;
  } catch {
    throw new Error(`audio load generator failed (exit ${proc.exitCode}): ${text.slice(0, 500)}`);
  }
}

export async function runAudioScenario(
  scenario: Scenario,
  relay: { script: string; args: string[] } | { url: string },
  plan: RunPlan,
  progress: Progress,
): Promise<ScenarioResult> {
  const work = mkdtempSync(join(tmpdir(), "framecast-bench-audio-"));
  const opusFile = join(work, "pink.opus");
  const started = "url" in relay ? null : await startRelayProcess(relay.script, relay.args);
  const wsUrl = "url" in relay ? relay.url : (started?.url as string);
  const httpUrl = httpUrlOf(wsUrl);
  const phases: AudioPhaseResult[] = [];
  try {
    await encodeOpusFile(opusFile);
    // Warm the relay's JIT up on the same traffic first (not measured).
    if (plan.warmupSeconds > 0) {
      const warmRoom = new URL(`/v1/rooms/audio-warmup-${Date.now()}`, wsUrl).toString();
      await runLoad(
        warmRoom,
        scenario.publishers,
        plan.warmupSeconds,
        scenario.frameBytes,
        scenario.fps,
        opusFile,
      );
    }
    // What the relay burns doing nothing, to take out of the per-packet cost.
    const idleSeconds = Math.min(2, plan.seconds);
    const idleFrom = started ? cpuSeconds(started.pid) : null;
    await Bun.sleep(idleSeconds * 1000);
    const idleTo = started ? cpuSeconds(started.pid) : null;
    const idleCpuPerSecond =
      idleFrom !== null && idleTo !== null ? (idleTo - idleFrom) / idleSeconds : 0;
    const plans = [
      { phase: "audio-only", fps: 0, slow: null },
      { phase: "audio-video", fps: scenario.fps, slow: null },
      { phase: "slow-viewer-acks", fps: scenario.fps, slow: "acks" },
      { phase: "slow-viewer-no-acks", fps: scenario.fps, slow: "no-acks" },
    ] as const;
    for (const [i, step] of plans.entries()) {
      progress.phase(`audio · ${step.phase}`, plan.seconds + 1.5);
      const room = `audio-${i}-${Date.now()}`;
      const url = roomUrl(wsUrl, room);
      const viewer = step.slow
        ? await startSlowViewer(roomUrl(wsUrl, room, { name: "slow" }), 10, step.slow === "acks")
        : null;
      const cpuBefore = started ? cpuSeconds(started.pid) : null;
      const outBefore = await metric(httpUrl, "framecast_audio_packets_out_total");
      const dropsBefore = await metric(httpUrl, "framecast_audio_packets_dropped_total");
      const phaseStart = nowMs();
      const cpuClock = performance.now();
      const load = await runLoad(
        url,
        scenario.publishers,
        plan.seconds,
        scenario.frameBytes,
        step.fps,
        opusFile,
      );
      const cpuAfter = started ? cpuSeconds(started.pid) : null;
      const outAfter = await metric(httpUrl, "framecast_audio_packets_out_total");
      const dropsAfter = await metric(httpUrl, "framecast_audio_packets_dropped_total");
      const cpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
      const busyCpu =
        cpu === null
          ? null
          : Math.max(0, cpu - idleCpuPerSecond * ((performance.now() - cpuClock) / 1000));
      const deliveries = outBefore !== null && outAfter !== null ? outAfter - outBefore : null;
      const result: AudioPhaseResult = {
        phase: step.phase,
        participants: scenario.publishers,
        videoFps: step.fps,
        frameBytes: step.fps > 0 ? scenario.frameBytes : 0,
        latencyMs: roundPercentiles(percentiles(load.latenciesMs)),
        audioSent: load.audioSent,
        audioExpected: load.audioExpected,
        audioLost: load.audioLost,
        lossRatio: load.audioExpected > 0 ? load.audioLost / load.audioExpected : 0,
        kbitPerStream:
          load.audioSent > 0
            ? ((load.audioBytesSent / load.audioSent + CLIENT_FRAMING_BYTES) * 8 * 50) / 1000
            : 0,
        relayCpuSeconds: cpu,
        relayCpuUsPerAudioDelivery:
          step.fps === 0 && busyCpu !== null && deliveries ? (busyCpu * 1e6) / deliveries : null,
        relayCpuUsPerAudioPacket:
          step.fps === 0 && busyCpu !== null && load.audioSent
            ? (busyCpu * 1e6) / load.audioSent
            : null,
        relayAudioDeliveries: deliveries,
        relayAudioDrops:
          dropsBefore !== null && dropsAfter !== null ? dropsAfter - dropsBefore : null,
        videoSent: load.videoSent,
        videoReceived: load.videoReceived,
      };
      if (viewer) {
        // What is still queued for it arrives (seconds of it without acks): wait until nothing
        // more comes for a second, or a while (15 s; under 3 s with --quick).
        const giveUpAt = performance.now() + plan.seconds * 1000 + plan.drainMs * 5;
        let seen = -1;
        while (viewer.audio.length !== seen && performance.now() < giveUpAt) {
          seen = viewer.audio.length;
          await Bun.sleep(1000);
        }
        const heard = viewer.audio.filter((a) => a.receivedMs >= phaseStart);
        result.slowViewer = {
          acks: viewer.acks,
          audioReceived: heard.length,
          audioExpected: load.audioSent,
          latencyMs: roundPercentiles(percentiles(heard.map((a) => a.receivedMs - a.captureMs))),
          videoFrames: viewer.frames.filter((f) => f.receivedMs >= phaseStart).length,
        };
        await viewer.stop();
      }
      phases.push(result);
    }
  } finally {
    await started?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return { scenario, results: {}, ratios: null, audio: phases };
}

/** The lines printed after the main tables. */
export function audioLines(results: ScenarioResult[]): string {
  return results
    .flatMap((r) => {
      if (!r.audio?.length) return [];
      const lines = [
        `audio (${r.scenario.publishers} participants, Opus 32 kbit/s in 20 ms packets; video ${r.scenario.frameBytes / 1000} KB at ${r.scenario.fps} fps, acked): capture → receive`,
      ];
      for (const p of r.audio) {
        const cpu =
          p.relayCpuUsPerAudioDelivery !== null && p.relayCpuUsPerAudioPacket !== null
            ? `, relay CPU ${p.relayCpuUsPerAudioPacket.toFixed(1)} µs per packet in (${p.relayCpuUsPerAudioDelivery.toFixed(1)} per delivery)`
            : "";
        lines.push(
          `  ${p.phase.padEnd(24)} p50 ${p.latencyMs.p50.toFixed(2)} ms  p99 ${p.latencyMs.p99.toFixed(2)} ms  ` +
            `lost ${p.audioLost}/${p.audioExpected} (${(p.lossRatio * 100).toFixed(2)}%)  ` +
            `${p.kbitPerStream.toFixed(1)} kbit/s per stream on the wire${cpu}; relay audio drops ${p.relayAudioDrops ?? "?"}`,
        );
        if (p.slowViewer) {
          const s = p.slowViewer;
          lines.push(
            `    its slow viewer (draws 10 fps, ${s.acks ? "acks" : "no acks"}): audio ${s.audioReceived}/${s.audioExpected} ` +
              `(${((s.audioReceived / Math.max(1, s.audioExpected)) * 100).toFixed(1)}%)  p50 ${s.latencyMs.p50.toFixed(0)} ms  ` +
              `p99 ${s.latencyMs.p99.toFixed(0)} ms; video frames drawn ${s.videoFrames}`,
          );
        }
      }
      return lines;
    })
    .join("\n");
}
