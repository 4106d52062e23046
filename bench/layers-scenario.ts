// `bun bench --scenario layers` (docs/PROTOCOL.md, "Layers"). Three measurements:
// 1. Relay cost: 4 senders at 30 fps to 8 acking receivers, once with one layer (40 KB frames)
//    and once with three (40 / 12 / 4 KB) where receivers ask for layers 2, 2, 2, 2, 1, 1 and the
//    rest nothing: relay CPU per delivered frame and bytes out per receiver, each run alone.
// 2. A throttled receiver: the real CLI sending a 30 fps 640x480 test pattern, an acking receiver
//    behind a 1 Mbit/s proxy and one on a free link, with three layers and with one; then the
//    limit is lifted: seconds until the full layer is back.
// 3. Sender upload: ffmpeg's bytes per layer for the CLI's capture graph, 1 / 2 / 3 layers.
import { captureArgs, layerPipe } from "../client/send/capture-args.ts";
import { layerLadder } from "../client-core/layer-choice.ts";
import { stopProcess, track } from "../harness/child-processes.ts";
import { describeFigures, figuresBetween, firstOfLayer } from "../harness/frame-figures.ts";
import { makeJpegFrame } from "../harness/jpeg-frames.ts";
import { sumMetric } from "../harness/relay-metrics.ts";
import { startRelayProcess } from "../harness/relay-process.ts";
import { startThrottleProxy } from "../harness/throttle-proxy.ts";
import {
  encodeLayersAnnounce,
  encodeVideoFrame,
  type LayerSize,
  roomUrl,
} from "../protocol/index.ts";
import { LayerReceiver } from "./layer-receiver.ts";
import { cpuSeconds } from "./proc-stats.ts";

export interface LayersBenchOptions {
  relayScript: string;
  relayArgs: string[];
  seconds: number;
  ffmpeg: string;
}

const KB = 1000;
const SENDERS = 4;
const FPS = 30;
/** What receivers 0..7 ask of every sender in the run with layers (null: nothing). */
const ASKS = [2, 2, 2, 2, 1, 1, null, null];
const now = () => performance.timeOrigin + performance.now();

interface CostRun {
  cpuSeconds: number;
  delivered: number;
  bytesPerReceiver: number[];
  fpsPerReceiver: number[];
}

async function costRun(options: LayersBenchOptions, layers: number): Promise<CostRun> {
  const relay = await startRelayProcess(options.relayScript, options.relayArgs);
  const room = `bench-layers-${layers}`;
  const jpegs = [makeJpegFrame(40 * KB), makeJpegFrame(12 * KB), makeJpegFrame(4 * KB)];
  const sizes = layerLadder(640, 480, 3).slice(0, layers);
  const senders: WebSocket[] = [];
  const receivers: LayerReceiver[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    for (let i = 0; i < SENDERS; i++) {
      const ws = new WebSocket(roomUrl(relay.url, room, { name: `sender-${i}` }));
      await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
      ws.send(encodeLayersAnnounce(sizes));
      senders.push(ws);
    }
    for (const [i, ask] of ASKS.entries()) {
      receivers.push(await LayerReceiver.join(relay.url, room, `receiver-${i}`, ask));
    }
    let sequence = 0;
    timer = setInterval(() => {
      const seq = sequence++;
      for (const ws of senders) {
        for (let layer = 0; layer < layers; layer++) {
          ws.send(encodeVideoFrame(jpegs[layer] as Uint8Array, now(), seq, 0, layer));
        }
      }
    }, 1000 / FPS);
    await Bun.sleep(1500); // requests applied, pacing settled
    const metrics = async () => (await (await fetch(`${relay.httpUrl}/metrics`)).text()) ?? "";
    const outBefore = sumMetric(await metrics(), "framecast_frames_out_total") ?? 0;
    const cpuBefore = cpuSeconds(relay.pid) ?? 0;
    const bytesBefore = receivers.map((r) => r.bytes);
    const framesBefore = receivers.map((r) => r.frames.length);
    await Bun.sleep(options.seconds * 1000);
    const cpuAfter = cpuSeconds(relay.pid) ?? 0;
    const outAfter = sumMetric(await metrics(), "framecast_frames_out_total") ?? 0;
    return {
      cpuSeconds: cpuAfter - cpuBefore,
      delivered: outAfter - outBefore,
      bytesPerReceiver: receivers.map(
        (r, i) => (r.bytes - (bytesBefore[i] ?? 0)) / options.seconds,
      ),
      fpsPerReceiver: receivers.map(
        (r, i) => (r.frames.length - (framesBefore[i] ?? 0)) / options.seconds / SENDERS,
      ),
    };
  } finally {
    clearInterval(timer);
    for (const ws of senders) ws.close();
    for (const receiver of receivers) receiver.close();
    await relay.stop();
  }
}

interface ThrottledRun {
  /** Seconds from the throttled receiver's first frame to its first frame of a smaller layer. */
  firstSmallerSeconds: number | null;
  throttled: string;
  free: string;
  backSeconds: number | null;
}

async function throttledRun(
  options: LayersBenchOptions,
  layers: LayerSize[],
): Promise<ThrottledRun> {
  const relay = await startRelayProcess(options.relayScript, options.relayArgs);
  const port = Number(new URL(relay.url).port);
  const proxy = await startThrottleProxy(port, 125_000);
  const room = "bench-throttle";
  const sender = track(
    Bun.spawn(
      [process.execPath, `${import.meta.dir}/../client/main.ts`, "--source", "test"].concat(
        // JPEG layers: this scenario measures layer switching, which H.264 gates on key frames.
        ["--fps", "30", "--codec", "jpeg"],
        ["--layers", layers.map((l) => `${l.width}x${l.height}`).join(",")],
        ["--relay", relay.url, "--room", room, "--name", "camera", "--ffmpeg", options.ffmpeg],
      ),
      { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
    ),
  );
  const receivers: LayerReceiver[] = [];
  try {
    const slow = await LayerReceiver.join(proxy.wsUrl, room, "slow", null);
    const fast = await LayerReceiver.join(relay.url, room, "fast", null);
    receivers.push(slow, fast);
    const deadline = Date.now() + 15_000;
    while (slow.frames.length === 0 && Date.now() < deadline) await Bun.sleep(20);
    // From the throttled receiver's first frame: it starts on the full layer, then adapts.
    const start = slow.times[0] ?? now();
    await Bun.sleep(Math.max(4, options.seconds) * 1000);
    const end = now();
    const smaller = Math.min(
      firstOfLayer(slow, 1, start) ?? Number.POSITIVE_INFINITY,
      firstOfLayer(slow, 2, start) ?? Number.POSITIVE_INFINITY,
    );
    const result: ThrottledRun = {
      firstSmallerSeconds: Number.isFinite(smaller) ? (smaller - start) / 1000 : null,
      throttled: describeFigures(figuresBetween(slow, start + 1000, end)),
      free: describeFigures(figuresBetween(fast, start, end)),
      backSeconds: null,
    };
    if (layers.length > 1) {
      proxy.setRate(Number.POSITIVE_INFINITY);
      const lifted = now();
      while (firstOfLayer(slow, 0, lifted) === null && now() - lifted < 15_000) await Bun.sleep(20);
      const back = firstOfLayer(slow, 0, lifted);
      result.backSeconds = back === null ? null : (back - lifted) / 1000;
    }
    return result;
  } finally {
    for (const receiver of receivers) receiver.close();
    await stopProcess(sender);
    await proxy.close();
    await relay.stop();
  }
}

/** Bytes per second of each layer from the CLI's own capture graph (ffmpeg, 3 s, no pacing). */
async function uploadBytes(
  ffmpeg: string,
  pattern: string,
  layers: LayerSize[],
): Promise<number[]> {
  const settings = { fps: 30, width: 640, height: 480, quality: 5, layers };
  const args = captureArgs({ kind: "test" }, settings)
    .filter((arg) => arg !== "-re")
    .map((arg) =>
      arg.replace(/^testsrc=/, `${pattern}=`).replace(/:rate=30$/, ":rate=30:duration=3"),
    );
  const extra = layers.slice(1).map(() => "pipe" as const);
  const proc = track(
    Bun.spawn([ffmpeg, ...args], { stdio: ["ignore", "pipe", "ignore", ...extra] }),
  );
  const streams = layers.map((_, id) =>
    id === 0
      ? (proc.stdout as ReadableStream<Uint8Array>)
      : Bun.file(proc.stdio[layerPipe(id)] as unknown as number).stream(),
  );
  const totals = await Promise.all(
    streams.map(async (stream) => {
      let bytes = 0;
      for await (const chunk of stream) bytes += chunk.byteLength;
      return bytes / 3;
    }),
  );
  await proc.exited;
  return totals;
}

export interface LayersCost {
  cpuSeconds: number;
  delivered: number;
  microsecondsPerDelivered: number;
}

/** What `--json` carries of the layers scenario (its text report is drawn from the same). */
export interface LayersFigures {
  senders: number;
  fps: number;
  seconds: number;
  oneLayer: LayersCost;
  threeLayers: LayersCost;
  /** three layers ÷ one layer, relay CPU per delivered frame. */
  costRatio: number;
  receivers: Array<{
    ask: number | null;
    oneLayer: { bytesPerSecond: number; fpsPerSender: number };
    threeLayers: { bytesPerSecond: number; fpsPerSender: number };
  }>;
  throttled: Array<{ layers: number } & ThrottledRun>;
  upload: Array<{
    pattern: string;
    sizes: string[];
    bytesPerSecond: number[];
    totalBytesPerSecond: number;
    ratioToOneLayer: number;
  }>;
}

export async function runLayersBench(
  options: LayersBenchOptions,
): Promise<{ lines: string[]; figures: LayersFigures }> {
  const lines = ["layers (docs/PROTOCOL.md, Layers)"];
  const one = await costRun(options, 1);
  const three = await costRun(options, 3);
  const perFrame = (run: CostRun) => (run.cpuSeconds * 1e6) / Math.max(1, run.delivered);
  const cost = (run: CostRun): LayersCost => ({
    cpuSeconds: run.cpuSeconds,
    delivered: run.delivered,
    microsecondsPerDelivered: perFrame(run),
  });
  const figures: LayersFigures = {
    senders: SENDERS,
    fps: FPS,
    seconds: options.seconds,
    oneLayer: cost(one),
    threeLayers: cost(three),
    costRatio: perFrame(three) / perFrame(one),
    receivers: ASKS.map((ask, i) => ({
      ask,
      oneLayer: {
        bytesPerSecond: one.bytesPerReceiver[i] ?? 0,
        fpsPerSender: one.fpsPerReceiver[i] ?? 0,
      },
      threeLayers: {
        bytesPerSecond: three.bytesPerReceiver[i] ?? 0,
        fpsPerSender: three.fpsPerReceiver[i] ?? 0,
      },
    })),
    throttled: [],
    upload: [],
  };
  lines.push(
    `  relay cost, ${SENDERS} senders × ${FPS} fps → 8 acking receivers, ${options.seconds} s each:`,
    `    one layer:    ${perFrame(one).toFixed(1)} µs CPU per delivered frame (${one.delivered} delivered, ${one.cpuSeconds.toFixed(2)} s CPU)`,
    `    three layers: ${perFrame(three).toFixed(1)} µs CPU per delivered frame (${three.delivered} delivered, ${three.cpuSeconds.toFixed(2)} s CPU)`,
    `    ratio three ÷ one: ${(perFrame(three) / perFrame(one)).toFixed(2)}×`,
    "  bytes out per receiver (kB/s) and fps per sender, asked layer → one layer run | three layers run:",
  );
  ASKS.forEach((ask, i) => {
    lines.push(
      `    receiver ${i} (asks ${ask === null ? "nothing" : `layer ${ask}`}): ` +
        `${((one.bytesPerReceiver[i] ?? 0) / KB).toFixed(0)} kB/s ${(one.fpsPerReceiver[i] ?? 0).toFixed(1)} fps | ` +
        `${((three.bytesPerReceiver[i] ?? 0) / KB).toFixed(0)} kB/s ${(three.fpsPerReceiver[i] ?? 0).toFixed(1)} fps`,
    );
  });
  const ladder = layerLadder(640, 480, 3);
  for (const layers of [ladder, ladder.slice(0, 1)]) {
    const run = await throttledRun(options, layers);
    figures.throttled.push({ layers: layers.length, ...run });
    lines.push(
      `  throttled receiver (1 Mbit/s), CLI test pattern 640x480 30 fps, ${layers.length} layer(s):`,
      `    throttled, from 1 s after its first frame: ${run.throttled}`,
      `    free receiver:        ${run.free}`,
    );
    if (layers.length > 1) {
      lines.push(
        `    first frame of a smaller layer: ${run.firstSmallerSeconds === null ? "never" : `${run.firstSmallerSeconds.toFixed(2)} s`} after its first frame`,
        `    limit lifted: full layer again after ${run.backSeconds === null ? "never (15 s)" : `${run.backSeconds.toFixed(2)} s`}`,
      );
    }
  }
  lines.push("  sender upload, 640x480 30 fps q5, bytes per layer (kB/s) and total ÷ one layer:");
  for (const pattern of ["testsrc", "testsrc2"]) {
    const single = await uploadBytes(options.ffmpeg, pattern, ladder.slice(0, 1));
    const base = single[0] ?? 1;
    for (const count of [1, 2, 3]) {
      const layers = count === 2 ? [ladder[0], ladder[2]] : ladder.slice(0, count);
      const bytes =
        count === 1 ? single : await uploadBytes(options.ffmpeg, pattern, layers as LayerSize[]);
      const total = bytes.reduce((a, b) => a + b, 0);
      figures.upload.push({
        pattern,
        sizes: (layers as LayerSize[]).map((l) => `${l.width}x${l.height}`),
        bytesPerSecond: bytes,
        totalBytesPerSecond: total,
        ratioToOneLayer: total / base,
      });
      lines.push(
        `    ${pattern.padEnd(8)} ${(layers as LayerSize[])
          .map((l) => `${l.width}x${l.height}`)
          .join(",")
          .padEnd(25)} ` +
          `${bytes.map((b) => (b / KB).toFixed(0)).join(" + ")} = ${(total / KB).toFixed(0)} kB/s  ${(total / base).toFixed(2)}×`,
      );
    }
  }
  return { lines, figures };
}
