// The page's adaptive jitter buffer (web/audio/watch/jitter-buffer.ts) on made-up arrivals: 20 ms
// frames at 48 kHz, pulled in 128-sample render quanta as an AudioWorklet does.
import { expect, test } from "bun:test";
import { type AudioFrame, JitterBuffer } from "../../web/audio/watch/jitter-buffer.ts";

const RATE = 48_000;
const FRAME = 960;
const QUANTUM = 128;

/** A frame whose samples all equal `seq + 1` (so the output says which frame played). */
function frame(seq: number): AudioFrame {
  return {
    seq,
    captureTimeMs: 1_000_000 + seq * 20,
    samples: new Float32Array(FRAME).fill(seq + 1),
  };
}

/**
 * Runs the buffer for `ms` of audio clock. `arrivalMs(seq)` says when packet seq arrives (or
 * null: lost). Returns the first sample of every quantum, and the buffer.
 */
function run(ms: number, arrivalMs: (seq: number) => number | null, buffer = new JitterBuffer()) {
  const arrivals: Array<[number, number]> = [];
  for (let seq = 0; seq * 20 < ms + 1000; seq++) {
    const at = arrivalMs(seq);
    if (at !== null) arrivals.push([at, seq]);
  }
  arrivals.sort((a, b) => a[0] - b[0]);
  const out = new Float32Array(QUANTUM);
  const played: number[] = [];
  const queued: number[] = [];
  let next = 0;
  for (let sample = 0; sample < (ms / 1000) * RATE; sample += QUANTUM) {
    const now = (sample / RATE) * 1000;
    while (next < arrivals.length && (arrivals[next] as [number, number])[0] <= now) {
      buffer.push(frame((arrivals[next] as [number, number])[1]));
      next++;
    }
    buffer.pull(out);
    played.push(out[0] as number);
    queued.push(buffer.stats.bufferedMs);
  }
  return { buffer, played, queued };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

test("starts near 80 ms, then plays every frame in order with a steady delay", () => {
  const { buffer, played, queued } = run(10_000, (seq) => seq * 20);
  // Silence until 80 ms are queued.
  const firstSound = played.findIndex((v) => v !== 0);
  expect((firstSound * QUANTUM * 1000) / RATE).toBeGreaterThanOrEqual(60);
  expect((firstSound * QUANTUM * 1000) / RATE).toBeLessThanOrEqual(100);
  // In order, each frame once: the values only ever step up by one.
  const steps = played.slice(firstSound).filter((v, i, all) => i > 0 && v !== all[i - 1]);
  expect(steps.every((v, i) => i === 0 || v === (steps[i - 1] as number) + 1)).toBe(true);
  expect(buffer.stats.concealed).toBe(0);
  expect(buffer.stats.late).toBe(0);
  // Steady state (last 5 s): between 40 and 120 ms queued.
  const steady = mean(queued.slice(-Math.floor((5 * RATE) / QUANTUM)));
  expect(steady).toBeGreaterThan(20);
  expect(steady).toBeLessThanOrEqual(120);
});

test("a lost packet is concealed in its turn: playback never stalls", () => {
  const lost = new Set([50, 51, 120]);
  const { buffer, played } = run(5_000, (seq) => (lost.has(seq) ? null : seq * 20));
  expect(buffer.stats.concealed).toBe(3);
  expect(buffer.stats.rebuffers).toBe(0);
  const firstSound = played.findIndex((v) => v !== 0);
  // After starting, no quantum is silent: concealment filled the holes (faded copies of frame 49).
  const afterStart = played.slice(firstSound);
  expect(afterStart.every((v) => v !== 0)).toBe(true);
  expect(afterStart).toContain(50 * 0.5);
  expect(afterStart).toContain(50 * 0.25);
  expect(afterStart).not.toContain(51); // frame 50 itself never played
});

test("late packets grow the delay; calm shrinks it back; a jittery link ends with few late packets", () => {
  // Every 10th packet comes 130 ms late for the first 10 s, then the link is clean for 30 s.
  const { buffer, queued } = run(
    40_000,
    (seq) => seq * 20 + (seq > 0 && seq < 500 && seq % 10 === 0 ? 130 : 0),
  );
  expect(buffer.stats.late).toBeGreaterThan(0);
  // It adapted instead of losing every 10th of the 50 delayed packets.
  expect(buffer.stats.late).toBeLessThan(20);
  expect(buffer.stats.stretched).toBeGreaterThan(0);
  const perQuantumOf = (fromS: number, toS: number) =>
    queued.slice(Math.floor((fromS * RATE) / QUANTUM), Math.floor((toS * RATE) / QUANTUM));
  const jittery = mean(perQuantumOf(5, 10));
  const calm = mean(perQuantumOf(35, 40));
  expect(jittery).toBeGreaterThan(80);
  expect(calm).toBeLessThan(jittery);
  expect(calm).toBeLessThanOrEqual(120);
  expect(buffer.stats.trimmed).toBeGreaterThan(0);
});

test("a sender that goes quiet stops playback after a few concealed frames and refills", () => {
  const { buffer, played } = run(4_000, (seq) => (seq < 50 || seq >= 100 ? seq * 20 : null));
  expect(buffer.stats.rebuffers).toBe(1);
  expect(buffer.stats.concealed).toBe(3);
  // Silence in the gap, then frame 100 plays again.
  expect(played).toContain(0);
  expect(played).toContain(101);
  expect(buffer.playingCaptureTimeMs).not.toBeNull();
});

test("capture time of what plays advances with the audio clock", () => {
  const buffer = new JitterBuffer();
  for (let seq = 0; seq < 10; seq++) buffer.push(frame(seq));
  const out = new Float32Array(480); // 10 ms
  buffer.pull(out);
  expect(buffer.playingCaptureTimeMs).toBeCloseTo(1_000_000 + 10, 5);
  buffer.pull(out);
  buffer.pull(out);
  expect(buffer.playingCaptureTimeMs).toBeCloseTo(1_000_000 + 30, 5);
});
