// Times sealing and opening one frame with the shared frame-encryption code. Runs as is in Bun
// and, bundled, in Chromium (bench/processes/e2ee-crypto/main.ts), so both report the same figures.
import {
  encodeVideoFrame,
  FrameSealer,
  importRoomKey,
  openFrame,
  stampSenderId,
} from "../../../protocol/index.ts";

export interface CryptoTiming {
  frameBytes: number;
  iterations: number;
  /** Bytes an encrypted frame has over the plain one. */
  overheadBytes: number;
  /**
   * One frame at a time, awaited (what one sender or receiver pays per frame): the mean per frame
   * of each batch, then the median and 90th percentile over the batches.
   */
  sealMicros: { median: number; p90: number };
  openMicros: { median: number; p90: number };
  /**
   * A whole batch in flight at once (Promise.all): CPU time per frame without the wait for each
   * result, which in Bun includes a hand-off to a crypto thread and back.
   */
  pipelinedSealMicros: number;
  pipelinedOpenMicros: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function summary(samples: number[]): { median: number; p90: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { median: round(quantile(sorted, 0.5)), p90: round(quantile(sorted, 0.9)) };
}

/** Batches per figure: browsers round performance.now() (to 100 µs in Chromium without isolation). */
const BATCHES = 20;

export async function timeFrameCrypto(
  frameBytes: number,
  iterations: number,
): Promise<CryptoTiming> {
  const key = await importRoomKey("AAECAwQFBgcICQoLDA0ODw");
  const sealer = new FrameSealer(key);
  const payload = new Uint8Array(frameBytes);
  for (let i = 0; i < frameBytes; i++) payload[i] = (i * 131 + 7) & 0xff;
  const frame = encodeVideoFrame(payload, Date.now(), 1);
  const perBatch = Math.max(1, Math.floor(iterations / BATCHES));
  const seal: number[] = [];
  const open: number[] = [];
  let overheadBytes = 0;
  // Batch 0 warms up (JIT, key schedule) and is not counted.
  for (let batch = 0; batch <= BATCHES; batch++) {
    const sealed: Uint8Array[] = [];
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) sealed.push(await sealer.seal(frame));
    const t1 = performance.now();
    for (const message of sealed) stampSenderId(message, 7);
    const t2 = performance.now();
    for (const message of sealed) {
      const opened = await openFrame(key, message);
      if (!opened.ok) throw new Error(`frame did not open: ${opened.problem}`);
    }
    const t3 = performance.now();
    overheadBytes = (sealed[0] as Uint8Array).byteLength - frame.byteLength;
    if (batch === 0) continue;
    seal.push(((t1 - t0) * 1000) / perBatch);
    open.push(((t3 - t2) * 1000) / perBatch);
  }
  const pipelined = await timePipelined(sealer, key, frame, perBatch);
  return {
    ...pipelined,
    frameBytes,
    iterations: perBatch * BATCHES,
    overheadBytes,
    sealMicros: summary(seal),
    openMicros: summary(open),
  };
}

async function timePipelined(
  sealer: FrameSealer,
  key: Awaited<ReturnType<typeof importRoomKey>>,
  frame: Uint8Array,
  perBatch: number,
): Promise<{ pipelinedSealMicros: number; pipelinedOpenMicros: number }> {
  const seal: number[] = [];
  const open: number[] = [];
  for (let batch = 0; batch <= BATCHES; batch++) {
    const t0 = performance.now();
    const sealed = await Promise.all(Array.from({ length: perBatch }, () => sealer.seal(frame)));
    const t1 = performance.now();
    const opened = await Promise.all(sealed.map((message) => openFrame(key, message)));
    const t2 = performance.now();
    if (!opened.every((result) => result.ok)) throw new Error("a frame did not open");
    if (batch === 0) continue;
    seal.push(((t1 - t0) * 1000) / perBatch);
    open.push(((t2 - t1) * 1000) / perBatch);
  }
  return {
    pipelinedSealMicros: summary(seal).median,
    pipelinedOpenMicros: summary(open).median,
  };
}
