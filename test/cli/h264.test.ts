// H.264 end to end with the real relay, CLI and ffmpeg: a `--codec h264` sender whose picture
// flashes while its sound beeps, recorded by a CLI (the file holds the sender's H.264 as sent,
// decodes clean, lasts as long as it was sent, with the sound in sync); and a mixed room, where
// a v1 peer that did not declare codecs=h264 gets JPEG from the same sender while an H.264
// receiver gets kind 4 starting on a key frame, and the sender drops its JPEG once nobody needs it.
import { expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { available, FFMPEG, FFPLAY, FFPROBE } from "../../harness/tools.ts";
import {
  FrameKind,
  frameKind,
  framePayload,
  isKeyFrame,
  looksLikeJpeg,
} from "../../protocol/index.ts";
import { clientTestScope, runClient } from "../fixtures/client/run-client.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import {
  avOffsetsMs,
  beepOnsets,
  decodeAudio,
  flashOnsets,
  videoBrightness,
} from "../support/av-analysis.ts";
import { decodeMd5s } from "../support/h264-stream.ts";
import { TestPeer } from "../support/peer.ts";

const scope = clientTestScope();

function fileOf(dir: string, prefix: string): string {
  const name = readdirSync(dir).find((file) => file.startsWith(prefix));
  if (!name) throw new Error(`no recording of ${prefix} in ${dir}: ${readdirSync(dir).join(", ")}`);
  return join(dir, name);
}

function probeJson(path: string): {
  streams: Array<{ codec_name: string; codec_type: string; profile?: string }>;
  format: { duration: string };
} {
  const result = Bun.spawnSync(
    [FFPROBE, "-v", "error", "-show_entries", "stream=codec_name,codec_type,profile"].concat([
      "-show_entries",
      "format=duration",
      "-of",
      "json",
      path,
    ]),
    { timeout: 30_000 },
  );
  return JSON.parse(result.stdout.toString());
}

/** What `ffmpeg -v error -i FILE -f null -` prints: nothing for a file that decodes clean. */
function decodeErrors(path: string): string {
  const result = Bun.spawnSync([FFMPEG, "-v", "error", "-i", path, "-f", "null", "-"], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
  });
  return result.stdout.toString() + result.stderr.toString();
}

test("--codec h264 → --record: H.264 as sent, decodes clean, as long as sent, sound in sync", async () => {
  const relay = await scope.startRelay();
  const dir = scope.tempDir("framecast-h264-rec-");
  const room = ["--relay", relay.wsUrl, "--room", "h264rec"];
  const recorder = runClient(["--no-send", "--name", "rec", "--record", dir, ...room]);
  await recorder.waitFor(/joined room h264rec as rec/);
  const av = runClient(
    ["--source", "flash", "--audio-source", "beep", "--tone", "1000", "--name", "av"].concat([
      "--codec",
      "h264",
      "--size",
      "320x240",
      "--fps",
      "30",
      ...room,
    ]),
  );
  await recorder.waitFor(/recording av \(picture and sound\)/, 20_000);
  const started = performance.now();
  await av.waitFor(/^status: me \(av #\d+\): sending [\d.]+ fps h264 /, 15_000);
  await recorder.waitFor(/^status: av #\d+: [\d.]+ fps h264 /, 15_000);
  await Bun.sleep(5000);
  const sentFor = (performance.now() - started) / 1000;
  expect(await av.stop()).toBe(0);
  const summary = await recorder.waitFor(/recorded av: \d+ frames .*H\.264 as sent/, 15_000);
  expect(await recorder.stop()).toBe(0);
  console.log(summary.replace(/^framecast: /, ""));
  console.log(av.output().match(/sent \d+ frames.*/)?.[0]);

  const file = fileOf(dir, "av-");
  // Nothing else was sent: no JPEG file before the H.264 one.
  expect(readdirSync(dir)).toHaveLength(1);
  expect(decodeErrors(file)).toBe("");
  const facts = probeJson(file);
  expect(facts.streams.map((s) => s.codec_name).sort()).toEqual(["h264", "opus"]);
  expect(facts.streams.find((s) => s.codec_type === "video")?.profile).toMatch(/Baseline/);
  const frames = videoBrightness(file);
  const videoSpan = (frames.at(-1)?.time ?? 0) - (frames[0]?.time ?? 0);
  // The recorder saw its first frame a little before `started`, and the last one a little after
  // the stop began: the file spans the sending time within a second.
  console.log(
    `video ${videoSpan.toFixed(2)} s in the file for ${sentFor.toFixed(2)} s sent, ` +
      `${frames.length} pictures, duration ${facts.format.duration} s`,
  );
  expect(Math.abs(videoSpan - sentFor)).toBeLessThan(1);
  // The file's frames are the ones received (no repeats: H.264 keeps the sender's timing).
  const inFile = Number(/recorded av: \d+ frames \((\d+) in the file/.exec(summary)?.[1]);
  expect(frames.length).toBe(inFile);
  expect(inFile).toBeGreaterThan(30 * sentFor * 0.6);

  const sound = decodeAudio(file);
  const offsets = avOffsetsMs(
    flashOnsets(frames).filter((t) => t > (frames[0]?.time ?? 0) + 0.5),
    beepOnsets(sound),
  );
  console.log(
    `A/V (H.264): sound minus picture per flash: ${offsets.map((o) => o.toFixed(0)).join(", ")} ms`,
  );
  expect(offsets.length).toBeGreaterThanOrEqual(3);
  for (const offset of offsets) {
    expect(offset).toBeLessThanOrEqual(125);
    expect(offset).toBeGreaterThanOrEqual(-45);
  }
}, 90_000);

test("mixed room: a JPEG-only v1 peer gets JPEG, an H.264 receiver kind 4 from a key frame; JPEG stops when nobody needs it", async () => {
  const relay = await scope.startRelay();
  const dir = scope.tempDir("framecast-h264-mixed-");
  // No --codec and no FRAMECAST_CODEC: the default, H.264 where ffmpeg has libx264 (it has here).
  const sender = runClient(
    ["--source", "test", "--size", "320x240", "--fps", "15", "--name", "cam"].concat([
      "--relay",
      relay.wsUrl,
      "--room",
      "mixed",
    ]),
    { FRAMECAST_CODEC: undefined },
  );
  await sender.waitFor(/joined room mixed as cam/);
  const jpegOnly = await TestPeer.join(relay.wsUrl, "mixed", "old-v1");
  const h264 = await AckingPeer.join(relay.wsUrl, "mixed", "new", "auto", true, false, true);
  try {
    await sender.waitFor(
      /^status: me \(cam #\d+\): sending [\d.]+ fps h264\+jpeg x 2 layers/,
      15_000,
    );
    const deadline = performance.now() + 15_000;
    while (
      (jpegOnly.binary.length < 20 || h264.frames.length < 20) &&
      performance.now() < deadline
    ) {
      await Bun.sleep(50);
    }
    // The JPEG-only peer: JPEG, full size (it asked for no layers), never kind 4.
    expect(jpegOnly.binary.length).toBeGreaterThanOrEqual(20);
    expect(jpegOnly.binary.every((frame) => frameKind(frame) === FrameKind.VideoJpeg)).toBe(true);
    expect(jpegOnly.binary.every((frame) => looksLikeJpeg(framePayload(frame)))).toBe(true);
    // The H.264 receiver: kind 4 only, the first a key frame, and the stream decodes clean.
    expect(h264.frames.length).toBeGreaterThanOrEqual(20);
    expect(h264.frames.every((frame) => frameKind(frame) === FrameKind.VideoH264)).toBe(true);
    expect(isKeyFrame(h264.frames[0] as Uint8Array)).toBe(true);
    const path = join(dir, "received.h264");
    writeFileSync(path, Buffer.concat(h264.frames.map((f) => Buffer.from(framePayload(f)))));
    const decoded = Bun.spawnSync(
      [FFMPEG, "-v", "error", "-f", "h264", "-i", path, "-f", "null", "-"],
      {
        stderr: "pipe",
      },
    );
    expect(decoded.stderr.toString()).toBe("");
    expect(decodeMd5s(path)).toHaveLength(h264.frames.length);
    const bytesPer = (frames: Uint8Array[]) =>
      frames.reduce((sum, f) => sum + framePayload(f).byteLength, 0) / frames.length;
    console.log(
      `320x240@15 testsrc: H.264 ${bytesPer(h264.frames).toFixed(0)} B/frame, ` +
        `JPEG ${bytesPer(jpegOnly.binary).toFixed(0)} B/frame (q 5)`,
    );

    // The JPEG-only peer leaves: only H.264 is needed, and only H.264 is sent.
    jpegOnly.close();
    await sender.waitFor(/^status: me \(cam #\d+\): sending [\d.]+ fps h264 x 2 layers/, 15_000);
    const before = h264.frames.length;
    await Bun.sleep(1500);
    expect(h264.frames.length).toBeGreaterThan(before + 10);
  } finally {
    jpegOnly.close();
    h264.close();
  }
  expect(await sender.stop()).toBe(0);
}, 60_000);

test.skipIf(!available("ffplay", FFPLAY !== null))(
  "--view plays an H.264 sender through ffplay (SDL's dummy driver: no window)",
  async () => {
    const relay = await scope.startRelay();
    const room = ["--relay", relay.wsUrl, "--room", "h264view"];
    const tag = `h264cam${process.pid}`;
    const viewer = runClient(["--no-send", "--no-audio", "--view", "--name", "eye", ...room], {
      SDL_VIDEODRIVER: "dummy",
    });
    await viewer.waitFor(/joined room h264view as eye/);
    const cam = runClient([
      "--source",
      "test",
      "--codec",
      "h264",
      "--size",
      "320x240",
      "--name",
      tag,
      ...room,
    ]);
    await viewer.waitFor(new RegExp(`showing ${tag} \\(H\\.264\\) \\(ffplay pid \\d+\\)`), 20_000);
    await viewer.waitFor(new RegExp(`^status: ${tag} #\\d+: [1-9][\\d.]* fps h264 `), 15_000);
    await Bun.sleep(2000);
    // ffplay is still there, decoding: it exits with an error on a stream it can't read.
    expect(viewer.output()).not.toMatch(/ffplay for .* failed|window for .* closed/);
    expect(await Promise.all([cam.stop(), viewer.stop()])).toEqual([0, 0]);
  },
  40_000,
);
