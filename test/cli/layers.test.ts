// The CLI's layers: --layers / --max-size parsing, one ffmpeg writing one MJPEG stream per layer
// (the k-th frames of all layers are the same picture), and a receiver asking with --max-size.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import jpeg from "jpeg-js";
import { parseCommand } from "../../client/options.ts";
import { Capture } from "../../client/send/capture.ts";
import { captureArgs } from "../../client/send/capture-args.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { FFMPEG } from "../../harness/tools.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { options, usageError } from "../support/client-options.ts";

describe("flags", () => {
  test("default: the capture size and a quarter of each side; --layers sets them, one stays possible", () => {
    expect(options(["--source", "test"]).layers).toEqual([
      { width: 640, height: 480 },
      { width: 160, height: 120 },
    ]);
    expect(options(["--source", "test", "--size", "320x240"]).layers).toEqual([
      { width: 320, height: 240 },
      { width: 80, height: 60 },
    ]);
    const three = options(["--source", "test", "--layers", "640x480,320x240,160x120"]);
    expect(three.layers).toHaveLength(3);
    expect(three).toMatchObject({ width: 640, height: 480 });
    const hd = options(["--source", "test", "--layers", "1280x720,320x180"]);
    expect(hd).toMatchObject({ width: 1280, height: 720 });
    expect(options(["--source", "test", "--layers", "640x480"]).layers).toEqual([
      { width: 640, height: 480 },
    ]);
    expect(parseCommand(["--source", "test"], { FRAMECAST_LAYERS: "320x240" })).toMatchObject({
      options: { layers: [{ width: 320, height: 240 }] },
    });
    expect(options(["--no-send", "--max-size", "320x240"]).maxSize).toEqual({
      width: 320,
      height: 240,
    });
    expect(options(["--source", "test", "--wire", "base64"]).layers).toHaveLength(1);
  });

  test("bad layer lists say what is wrong", () => {
    expect(usageError(["--source", "test", "--layers", "640x480,big"])).toContain("--layers must");
    expect(usageError(["--source", "test", "--layers", "320x240,640x480"])).toContain(
      "largest first",
    );
    expect(usageError(["--source", "test", "--layers", "a,b,c,d"])).toContain("--layers must");
    expect(usageError(["--source", "test", "--layers", "640x480,320x240,160x120,80x60"])).toContain(
      "1-3 sizes",
    );
    expect(usageError(["--source", "test", "--layers", "641x480"])).toContain("even");
    expect(usageError(["--source", "test", "--size", "320x240", "--layers", "640x480"])).toContain(
      "the first layer is the capture size",
    );
    expect(
      usageError(["--source", "test", "--wire", "base64", "--layers", "640x480,320x240"]),
    ).toContain("--wire base64");
    expect(usageError(["--no-send", "--max-size", "big"])).toContain("--max-size must");
  });

  test("ffmpeg arguments: one split, one scaled MJPEG output per layer on stdout and fds 3, 4", () => {
    const layers = [
      { width: 640, height: 480 },
      { width: 320, height: 240 },
      { width: 160, height: 120 },
    ];
    const settings = { fps: 30, width: 640, height: 480, quality: 5, layers };
    const args = captureArgs({ kind: "test" }, settings).join(" ");
    expect(args).toContain("split=3[s0][s1][s2]");
    expect(args).toContain("[s1]scale=320:240:flags=area[l1]");
    expect(args).toMatch(/-map \[l0\] .* pipe:1 -map \[l1\] .* pipe:3 -map \[l2\] .* pipe:4$/);
    // A camera's own MJPEG is still copied for the full layer; only the smaller ones are encoded.
    const camera = captureArgs({ kind: "device", path: "/dev/video0" }, settings, true).join(" ");
    expect(camera).toContain("-map 0:v -an -c:v copy -f mjpeg pipe:1");
    expect(camera).toContain("split=2[s1][s2]");
  });
});

const captures: Capture[] = [];
let relay: SpawnedRelay | null = null;

afterEach(async () => {
  await Promise.all(captures.splice(0).map((capture) => capture.stop()));
  await killAllClients();
});

afterAll(async () => {
  await relay?.stop();
});

test("one ffmpeg process delivers every layer, picture by picture", async () => {
  const layers = [
    { width: 320, height: 240 },
    { width: 160, height: 120 },
    { width: 80, height: 60 },
  ];
  const sizes: string[][] = [[], [], []];
  const capture = new Capture({
    ffmpeg: FFMPEG,
    source: { kind: "test" },
    settings: { fps: 30, width: 320, height: 240, quality: 8, layers },
    headroom: 20,
    onFrame: (frame, _at, layer) => {
      const image = jpeg.decode(frame);
      sizes[layer]?.push(`${image.width}x${image.height}`);
    },
    log: () => {},
    onFatal: (message) => {
      throw new Error(message);
    },
  });
  captures.push(capture);
  capture.start();
  const deadline = Date.now() + 10_000;
  while (sizes.some((list) => list.length < 10) && Date.now() < deadline) await Bun.sleep(50);
  expect(new Set(sizes[0])).toEqual(new Set(["320x240"]));
  expect(new Set(sizes[1])).toEqual(new Set(["160x120"]));
  expect(new Set(sizes[2])).toEqual(new Set(["80x60"]));
  expect(capture.pid).not.toBeNull();
});

test("a receiver with --max-size gets the layer that fits, and its status line says so", async () => {
  relay = await startRelay();
  const sender = runClient(
    ["--source", "test", "--fps", "15", "--layers", "640x480,320x240,160x120"].concat([
      "--relay",
      relay.wsUrl,
      "--room",
      "cli-layers",
      "--name",
      "camera",
    ]),
  );
  await sender.waitFor(/joined room cli-layers/);
  const viewer = runClient(
    ["--no-send", "--max-size", "400x300", "--relay", relay.wsUrl, "--room", "cli-layers"].concat([
      "--name",
      "viewer",
    ]),
  );
  const line = await viewer.waitFor(/camera #\d+: [1-9][\d.]* fps .*layer 1 \(320x240\)/, 20_000);
  expect(line).toContain("layer 1 (320x240)");
  const status = await sender.waitFor(/me \(camera #\d+\): sending .* x 3 layers/, 20_000);
  expect(status).toContain("x 3 layers");
});
