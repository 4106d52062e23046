// The CLI and screen shares (docs/CLIENT.md, "Screen sharing"): `--screen :N` shares an Xvfb
// display through ffmpeg's x11grab on a second connection; another CLI with --record writes the
// share to a file of its own (NAME-screen-ID.mkv, beside NAME-ID.mkv for the camera) that
// decodes clean at the display's size. Needs Xvfb (apt-get install xvfb) and an ffmpeg with
// x11grab: skipped without them on a developer machine, failing under CI=true.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Subprocess, spawn } from "bun";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { available, FFMPEG, FFPLAY } from "../../harness/tools.ts";
import { killAllClients, probe, runClient } from "../fixtures/client/run-client.ts";

const hasXvfb = available(
  "Xvfb (apt-get install xvfb)",
  Bun.spawnSync(["sh", "-c", "command -v Xvfb"]).exitCode === 0,
);
const hasX11grab = available(
  "ffmpeg with x11grab",
  Bun.spawnSync([FFMPEG, "-hide_banner", "-devices"]).stdout.toString().includes("x11grab"),
);

let relay: SpawnedRelay | null = null;
let xvfb: Subprocess | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await killAllClients();
  await relay?.stop();
  relay = null;
  xvfb?.kill("SIGTERM");
  await xvfb?.exited;
  xvfb = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts Xvfb on a free display number; resolves with its name once it takes connections. */
async function startXvfb(width: number, height: number): Promise<string> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const display = `:${200 + Math.floor(Math.random() * 700)}`;
    const proc = spawn(
      ["Xvfb", display, "-screen", "0", `${width}x${height}x24`, "-nolisten", "tcp"],
      {
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    // Ready when a one-frame grab works; gone early means the display number was taken.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      const grab = Bun.spawnSync([
        FFMPEG,
        "-v",
        "error",
        "-f",
        "x11grab",
        "-i",
        display,
        "-frames:v",
        "1",
        "-f",
        "null",
        "-",
      ]);
      if (grab.exitCode === 0) {
        xvfb = proc;
        return display;
      }
      await Bun.sleep(200);
    }
    proc.kill("SIGKILL");
  }
  throw new Error("could not start Xvfb");
}

test.skipIf(!hasXvfb || !hasX11grab)(
  "--screen shares an X display; a recorder writes the share as its own file that decodes clean",
  async () => {
    const display = await startXvfb(800, 600);
    relay = await startRelay();
    const dir = mkdtempSync(join(tmpdir(), "framecast-screen-cli-"));
    dirs.push(dir);
    const room = ["--relay", relay.wsUrl, "--room", "screens"];
    // With ffplay here, --view too (SDL's dummy driver: real processes, no window).
    const view = FFPLAY !== null ? ["--view", "--ffplay", FFPLAY] : [];
    const recorder = runClient(
      [...room, "--no-send", "--no-audio", "--name", "rec", "--record", dir, ...view],
      { SDL_VIDEODRIVER: "dummy", SDL_AUDIODRIVER: "dummy" },
    );
    await recorder.waitFor(/joined room screens/);
    const sharer = runClient([
      ...room,
      "--source",
      "test",
      "--size",
      "320x240",
      "--fps",
      "10",
      "--name",
      "ada",
      "--screen",
      display,
    ]);
    await sharer.waitFor(/sharing X display/);
    await recorder.waitFor(/ada-screen #\d+ joined/, 20_000);
    await recorder.waitFor(/recording ada-screen to /, 20_000);
    await recorder.waitFor(/recording ada to /, 20_000);
    await Bun.sleep(4000);
    if (FFPLAY !== null) {
      // The share has a window of its own, titled with its stream's name.
      const windows = Bun.spawnSync(["pgrep", "-f", "framecast: ada-screen"]).stdout.toString();
      expect(windows.trim().split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(1);
    }
    // The sharer leaves: its share goes with it.
    expect(await sharer.stop("SIGINT")).toBe(0);
    await recorder.waitFor(/ada-screen #\d+ left/, 10_000);
    expect(await recorder.stop("SIGINT")).toBe(0);
    const summary = recorder
      .output()
      .split("\n")
      .filter((l) => /recorded ada-screen/.test(l));
    console.log(summary.join("\n"));
    // 5 fps as captured: no duplicated frames from the mjpeg muxer's default rate.
    expect(summary[0]).toContain("(5 fps)");

    const files = readdirSync(dir).sort();
    const screenFile = files.find((f) => /^ada-screen-\d+\.mkv$/.test(f));
    const cameraFile = files.find((f) => /^ada-\d+\.mkv$/.test(f));
    expect(screenFile).toBeDefined();
    expect(cameraFile).toBeDefined();
    const screenPath = join(dir, screenFile as string);
    const info = probe(screenPath);
    console.log(`share recording: ${info.frames} frames, ${info.width}x${info.height}`);
    expect([info.width, info.height]).toEqual([800, 600]);
    expect(info.frames).toBeGreaterThanOrEqual(8);
    // Decodes clean: ffmpeg says nothing at -v error.
    const check = Bun.spawnSync([FFMPEG, "-v", "error", "-i", screenPath, "-f", "null", "-"]);
    expect(check.stderr.toString()).toBe("");
    expect(probe(join(dir, cameraFile as string)).width).toBe(320);
  },
  90_000,
);

test("--screen takes an X display name", () => {
  const bad = runClient(["--screen", "not a display", "--no-send"]);
  return bad.waitFor(/--screen takes an X display/, 10_000);
});
