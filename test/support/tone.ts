// The dominant frequency of a stretch of sound: a Hann-windowed DFT scanned in 1 Hz steps, then
// refined in 0.05 Hz steps around the peak. Slow-ish (tens of ms per second of sound) but exact
// enough to tell 440 Hz from 444 Hz, which zero-crossing counts on a short snapshot are not.

function power(samples: Float32Array, rate: number, frequency: number): number {
  let re = 0;
  let im = 0;
  const step = (2 * Math.PI * frequency) / rate;
  const n = samples.length;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const v = (samples[i] as number) * w;
    re += v * Math.cos(step * i);
    im -= v * Math.sin(step * i);
  }
  return re * re + im * im;
}

export function dominantFrequency(
  samples: Float32Array,
  rate: number,
  minHz = 50,
  maxHz = 4000,
): number {
  let best = minHz;
  let bestPower = -1;
  for (let f = minHz; f <= maxHz; f += 1) {
    const p = power(samples, rate, f);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  let fine = best;
  for (let f = best - 1; f <= best + 1; f += 0.05) {
    const p = power(samples, rate, f);
    if (p > bestPower) {
      bestPower = p;
      fine = f;
    }
  }
  return fine;
}

/** Root mean square of a stretch of samples. */
export function rms(samples: Float32Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Mono 16-bit WAV bytes of a sine (Chromium's fake microphone plays a WAV file in a loop). */
export function sineWav(
  frequency: number,
  seconds: number,
  rate = 48_000,
  amplitude = 0.5,
): Uint8Array {
  const count = Math.round(seconds * rate);
  const wav = new Uint8Array(44 + count * 2);
  const view = new DataView(wav.buffer);
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + count * 2, true);
  text(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, count * 2, true);
  for (let i = 0; i < count; i++) {
    view.setInt16(
      44 + i * 2,
      Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * i) / rate)),
      true,
    );
  }
  return wav;
}
