// Sound end to end through the real relay with the real CLI and ffmpeg: a sender whose picture
// flashes and whose sound beeps at the same instants (--source flash --audio-source beep), a
// sound-only sender with a steady tone (--audio-source test), and two recorders, one with sound
// and one with --no-audio. Checks the recorded files: an Opus stream of the right length at the
// right frequency, and the sound within +45/-125 ms of the picture (ITU-R BT.1359).
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedRelay } from "../../harness/spawned-relay.ts";
import { FFPROBE } from "../../harness/tools.ts";
import { clientTestScope, runClient } from "../fixtures/client/run-client.ts";
import {
  avOffsetsMs,
  beepOnsets,
  decodeAudio,
  flashOnsets,
  videoBrightness,
} from "../support/av-analysis.ts";
import { dominantFrequency } from "../support/tone.ts";

const scope = clientTestScope();
let relay: SpawnedRelay | null = null;

function tempDir(): string {
  const dir = scope.tempDir("framecast-audio-");
  return dir;
}

function streams(
  path: string,
): Array<{ codec_name: string; codec_type: string; duration?: string }> {
  const result = Bun.spawnSync(
    [
      FFPROBE,
      "-v",
      "error",
      "-show_entries",
      "stream=codec_name,codec_type,duration",
      "-of",
      "json",
      path,
    ],
    { timeout: 30_000 },
  );
  return (JSON.parse(result.stdout.toString()) as { streams: never[] }).streams;
}

function fileOf(dir: string, prefix: string): string {
  const name = readdirSync(dir).find((file) => file.startsWith(prefix));
  if (!name) throw new Error(`no recording of ${prefix} in ${dir}: ${readdirSync(dir).join(", ")}`);
  return join(dir, name);
}

/** The frequency of the loud parts only (the beeps), from the decoded sound. */
function loudFrequency(samples: Float32Array): number {
  const loud: number[] = [];
  for (let i = 0; i < samples.length; i++) if (Math.abs(samples[i] as number) > 0.05) loud.push(i);
  // The longest run of beep: 100 ms from the middle of the sound's loud samples.
  const start = loud[Math.floor(loud.length / 2)] as number;
  return dominantFrequency(samples.subarray(start - 2400, start + 2400), 48_000, 200, 4000);
}

test("flash+beep and a tone through the relay: recorded in sync, at the right frequency and length", async () => {
  relay = await scope.startRelay();
  const [withSound, withoutSound] = [tempDir(), tempDir()];
  const room = ["--relay", relay.wsUrl, "--room", "sound"];
  const recorder = runClient(["--no-send", "--name", "rec", "--record", withSound, ...room]);
  const deaf = runClient([
    "--no-send",
    "--no-audio",
    "--name",
    "deaf",
    "--record",
    withoutSound,
    ...room,
  ]);
  await recorder.waitFor(/joined room sound as rec/);
  await deaf.waitFor(/joined room sound as deaf/);
  const av = runClient(
    ["--source", "flash", "--audio-source", "beep", "--tone", "1000", "--name", "av"].concat([
      "--size",
      "320x240",
      "--fps",
      "30",
      ...room,
    ]),
  );
  const tone = runClient(["--audio-source", "test", "--tone", "440", "--name", "tone", ...room]);
  await recorder.waitFor(/recording av \(picture and sound\)/);
  await recorder.waitFor(/recording tone \(sound only\)/, 10_000);
  await Bun.sleep(5000);
  expect(await Promise.all([av.stop(), tone.stop()])).toEqual([0, 0]);
  await recorder.waitFor(/recorded av: \d+ frames .*, \d+ packets/);
  await recorder.waitFor(/recorded tone: 0 frames .*, \d+ packets/);
  expect(await Promise.all([recorder.stop(), deaf.stop()])).toEqual([0, 0]);

  // The flash+beep sender: one file with MJPEG and Opus; the sound beeps at 1000 Hz.
  const avFile = fileOf(withSound, "av-");
  expect(
    streams(avFile)
      .map((s) => s.codec_name)
      .sort(),
  ).toEqual(["mjpeg", "opus"]);
  const avSound = decodeAudio(avFile);
  const beepHz = loudFrequency(avSound);
  console.log(
    recorder
      .output()
      .split("\n")
      .filter((l) => l.startsWith("framecast: recorded"))
      .join("\n"),
  );
  const packets = Number(/recorded av: .*, (\d+) packets/.exec(recorder.output())?.[1]);
  // Right length: the decoded sound spans (at least) every packet received, 20 ms each.
  const frames = videoBrightness(avFile);
  const videoSpan = (frames.at(-1)?.time ?? 0) - (frames[0]?.time ?? 0);
  const beeps = beepOnsets(avSound);
  const flashes = flashOnsets(frames).filter((t) => t > (frames[0]?.time ?? 0) + 0.5);
  const offsets = avOffsetsMs(flashes, beeps);
  console.log(
    `A/V: ${packets} packets, video ${videoSpan.toFixed(2)} s, beep ${beepHz.toFixed(1)} Hz, ` +
      `sound minus picture per flash: ${offsets.map((o) => o.toFixed(0)).join(", ")} ms`,
  );
  expect(Math.abs(beepHz - 1000)).toBeLessThan(10);
  expect(packets * 0.02).toBeGreaterThan(videoSpan - 0.5);
  expect(offsets.length).toBeGreaterThanOrEqual(3);
  for (const offset of offsets) {
    expect(offset).toBeLessThanOrEqual(125); // sound later than the picture
    expect(offset).toBeGreaterThanOrEqual(-45); // sound earlier
  }

  // The tone-only sender: a sound-only file, 440 Hz, as long as the packets say.
  const toneFile = fileOf(withSound, "tone-");
  expect(streams(toneFile).map((s) => s.codec_type)).toEqual(["audio"]);
  const toneSound = decodeAudio(toneFile);
  const tonePackets = Number(/recorded tone: .*, (\d+) packets/.exec(recorder.output())?.[1]);
  const middle = Math.floor(toneSound.length / 2);
  const toneHz = dominantFrequency(toneSound.subarray(middle - 12000, middle + 12000), 48_000);
  const loudSamples = toneSound.filter((v) => Math.abs(v) > 0.05).length;
  console.log(
    `tone: ${tonePackets} packets, ${toneHz.toFixed(1)} Hz, ${(loudSamples / 48000).toFixed(2)} s loud`,
  );
  expect(Math.abs(toneHz - 440)).toBeLessThan(4.4);
  expect(tonePackets).toBeGreaterThan(150);
  // The file's sound is as long as the packets received (20 ms each), within a few packets.
  expect(Math.abs(loudSamples / 48000 - tonePackets * 0.02)).toBeLessThan(0.5);

  // --no-audio: the same participants, pictures only.
  expect(streams(fileOf(withoutSound, "av-")).map((s) => s.codec_type)).toEqual(["video"]);
  expect(readdirSync(withoutSound).some((file) => file.startsWith("tone-"))).toBe(false);
  expect(deaf.output()).not.toMatch(/[1-9]\d* packets/);
}, 60_000);
