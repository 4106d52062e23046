// H.264 in an end-to-end encrypted room, CLI to CLI with the real relay and ffmpeg: a
// `--codec h264` sender with the key, a recorder with the key (its file holds the sender's H.264,
// opened locally, and decodes clean), an acking v1 peer that declared codecs=h264 but has no key
// (kind-4 frames with the Encrypted flag: the relay routes them without reading them) and a CLI
// with the wrong key (its status line says can't decrypt).
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { FFMPEG, FFPROBE } from "../../harness/tools.ts";
import {
  ENCRYPTED_FLAG,
  FrameFlag,
  FrameKind,
  frameKind,
  generateRoomKey,
  readFlags,
} from "../../protocol/index.ts";
import { clientTestScope, runClient } from "../fixtures/client/run-client.ts";
import { AckingPeer } from "../support/acking-peer.ts";

const scope = clientTestScope();

test("encrypted H.264: recorded and decoding clean with the key, can't decrypt with the wrong one", async () => {
  const relay = await scope.startRelay();
  const dir = scope.tempDir("framecast-e2ee-h264-");
  const key = generateRoomKey();
  const room = ["--relay", relay.wsUrl, "--room", "sealed"];
  const recorder = runClient([
    "--no-send",
    "--e2ee-key",
    key,
    "--name",
    "rec",
    "--record",
    dir,
    ...room,
  ]);
  const wrong = runClient([
    "--no-send",
    "--e2ee-key",
    generateRoomKey(),
    "--name",
    "wrong",
    ...room,
  ]);
  await recorder.waitFor(/joined room sealed as rec/);
  await wrong.waitFor(/joined room sealed as wrong/);
  const keyless = await AckingPeer.join(
    relay.wsUrl,
    "sealed",
    "keyless",
    "auto",
    true,
    false,
    true,
  );
  const cam = runClient(
    ["--source", "test", "--codec", "h264", "--size", "320x240", "--fps", "15"].concat([
      "--name",
      "cam",
      "--e2ee-key",
      key,
      ...room,
    ]),
  );
  try {
    await recorder.waitFor(/recording cam to /, 20_000);
    await recorder.waitFor(/^status: cam #\d+: [\d.]+ fps h264 /, 15_000);
    await wrong.waitFor(/cam #\d+: can't decrypt \(wrong key\?\), \d+ frames dropped/, 15_000);
    await keyless.waitFor(() => keyless.frames.length >= 20, "20 frames", 15_000);
    // Without the key: kind 4 (it declared H.264), flagged Encrypted; the first a key frame
    // (the flags are outside the sealed payload).
    expect(keyless.frames.every((frame) => frameKind(frame) === FrameKind.VideoH264)).toBe(true);
    for (const frame of keyless.frames) {
      expect(readFlags(frame) & ENCRYPTED_FLAG).toBe(ENCRYPTED_FLAG);
    }
    expect(readFlags(keyless.frames[0] as Uint8Array) & FrameFlag.KeyFrame).toBe(
      FrameFlag.KeyFrame,
    );
    await Bun.sleep(3000);
  } finally {
    keyless.close();
  }
  expect(await cam.stop()).toBe(0);
  const summary = await recorder.waitFor(/recorded cam: \d+ frames .*H\.264 as sent/, 15_000);
  expect(await Promise.all([recorder.stop(), wrong.stop()])).toEqual([0, 0]);
  console.log(summary.replace(/^framecast: /, ""));
  expect(wrong.output()).not.toMatch(/recording cam/);

  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  const file = join(dir, files[0] as string);
  const check = Bun.spawnSync([FFMPEG, "-v", "error", "-i", file, "-f", "null", "-"], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
  });
  expect(check.stdout.toString() + check.stderr.toString()).toBe("");
  const probe = Bun.spawnSync(
    [
      FFPROBE,
      "-v",
      "error",
      "-count_frames",
      "-show_entries",
      "stream=codec_name,nb_read_frames",
    ].concat(["-of", "csv=p=0", file]),
    { stdout: "pipe" },
  );
  const [codec, frames] = probe.stdout.toString().trim().split(",");
  expect(codec).toBe("h264");
  const inFile = Number(/recorded cam: \d+ frames \((\d+) in the file/.exec(summary)?.[1]);
  expect(Number(frames)).toBe(inFile);
  expect(inFile).toBeGreaterThan(30);
}, 60_000);
