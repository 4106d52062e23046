// Capture through real ffmpeg: testsrc pacing, file looping, restart after ffmpeg dies, and
// the plain errors for a missing camera or a missing ffmpeg.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { findFfmpeg, MissingToolError } from "../../client/find-ffmpeg.ts";
import { Capture } from "../../client/send/capture.ts";
import { cameraOffersMjpeg, captureArgs } from "../../client/send/capture-args.ts";
import { FFMPEG, ffmpegTestPattern } from "../../harness/tools.ts";
import { runClient } from "../fixtures/client/run-client.ts";

const settings = { fps: 15, width: 160, height: 120, quality: 8 };
const captures: Capture[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(captures.splice(0).map((capture) => capture.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startCapture(source: ConstructorParameters<typeof Capture>[0]["source"]) {
  const frames: { bytes: number; at: number; offset: number }[] = [];
  const logs: string[] = [];
  let fatal: string | null = null;
  const capture = new Capture({
    ffmpeg: FFMPEG,
    source,
    settings,
    headroom: 20,
    onFrame: (frame, at) => {
      frames.push({ bytes: frame.byteLength, at, offset: frame.byteOffset });
      if (frames.length === 1) expect(jpeg.decode(frame).width).toBe(160);
    },
    log: (line) => logs.push(line),
    onFatal: (message) => {
      fatal = message;
    },
  });
  captures.push(capture);
  capture.start();
  return { capture, frames, logs, fatal: () => fatal };
}

describe("capture", () => {
  test("--source test delivers paced frames with capture timestamps and header room", async () => {
    const { frames } = startCapture({ kind: "test" });
    await Bun.sleep(3000);
    // ~2.7-3 s of 15 fps after ffmpeg's start-up.
    expect(frames.length).toBeGreaterThanOrEqual(35);
    expect(frames.length).toBeLessThanOrEqual(47);
    const first = frames[0];
    expect(first?.offset).toBe(20);
    expect(Math.abs((first?.at ?? 0) - Date.now())).toBeLessThan(5000);
  });

  test("--file loops a short video at its own pace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "framecast-file-"));
    dirs.push(dir);
    const path = join(dir, "one-second.mkv");
    const made = ffmpegTestPattern(["-t", "1", "-c:v", "mjpeg", path]);
    expect(made.exitCode).toBe(0);
    const { frames } = startCapture({ kind: "file", path });
    await Bun.sleep(3000);
    // A 1-second file still yields ~2.5+ seconds of frames: it loops, paced, not all at once.
    expect(frames.length).toBeGreaterThanOrEqual(30);
    expect(frames.length).toBeLessThanOrEqual(47);
  });

  test("when ffmpeg dies it reports stderr and restarts with backoff; frames resume", async () => {
    const { capture, frames, logs } = startCapture({ kind: "test" });
    while (frames.length < 5) await Bun.sleep(50);
    process.kill(capture.pid as number, "SIGKILL");
    const before = frames.length;
    const deadline = Date.now() + 10_000;
    while (frames.length < before + 10 && Date.now() < deadline) await Bun.sleep(100);
    expect(frames.length).toBeGreaterThanOrEqual(before + 10);
    expect(capture.restarts).toBe(1);
    expect(logs.join("\n")).toMatch(/capture stopped .*\n?.*restarting capture in \d\.\d s/s);
  });

  test("ffmpeg arguments: copy a camera's own MJPEG, otherwise encode", () => {
    const device = { kind: "device" as const, path: "/dev/video0" };
    const copy = captureArgs(device, settings, true);
    expect(copy.join(" ")).toContain(
      "-input_format mjpeg -i /dev/video0 -an -c:v copy -f mjpeg pipe:1",
    );
    const encode = captureArgs(device, settings, false).join(" ");
    expect(encode).toContain("-f v4l2 -framerate 15 -video_size 160x120 -i /dev/video0");
    expect(encode).toContain("-c:v mjpeg -q:v 8");
    const listing = [
      "[video4linux2,v4l2 @ 0x1] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 160x120",
      "[video4linux2,v4l2 @ 0x1] Compressed:       mjpeg :          Motion-JPEG : 1280x720 640x480",
    ].join("\n");
    expect(cameraOffersMjpeg(listing, 640, 480)).toBe(true);
    expect(cameraOffersMjpeg(listing, 160, 120)).toBe(false); // raw only at that size
    const stepwise =
      "[v4l2 @ 0x1] Compressed:       mjpeg :          Motion-JPEG : {32-1920, 2}x{32-1080, 2}";
    expect(cameraOffersMjpeg(stepwise, 640, 480)).toBe(true);
    expect(cameraOffersMjpeg(stepwise, 4000, 480)).toBe(false);
  });
});

describe("capture errors from the command line", () => {
  test("a camera that does not exist is named plainly, exit code 1", async () => {
    const client = runClient(["--device", "/dev/video97", "--relay", "ws://127.0.0.1:9"]);
    expect(await client.stop("SIGCONT")).toBe(1);
    expect(client.output()).toContain("camera /dev/video97 does not exist");
  });

  test("no ffmpeg anywhere: says how to install it", async () => {
    const empty = mkdtempSync(join(tmpdir(), "framecast-nopath-"));
    dirs.push(empty);
    const error = await findFfmpeg(null, empty, false).catch((e: Error) => e);
    expect(error).toBeInstanceOf(MissingToolError);
    expect((error as Error).message).toContain("ffmpeg not found on PATH");
    expect((error as Error).message).toContain("sudo apt-get install ffmpeg");
  });

  test("no ffmpeg on PATH: the static build from npm's @ffmpeg-installer/ffmpeg is used", async () => {
    const empty = mkdtempSync(join(tmpdir(), "framecast-nopath-"));
    dirs.push(empty);
    const found = await findFfmpeg(null, empty);
    expect(found).toContain("@ffmpeg-installer");
    const version = Bun.spawnSync([found, "-version"]);
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString()).toContain("ffmpeg version");
  });

  test("FFMPEG_PATH pointing nowhere is reported, exit code 1", async () => {
    const client = runClient(["--source", "test"], { FFMPEG_PATH: "/nonexistent/ffmpeg" });
    expect(await client.stop("SIGCONT")).toBe(1);
    expect(client.output()).toContain("ffmpeg not found at /nonexistent/ffmpeg");
  });
});
