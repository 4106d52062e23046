// What a newcomer meets first on the command line (issue 15): the status line under a join
// token's name, a room URL given as --relay, a recording that declares the call's frame rate and
// says how far it is, a missing camera that fails before anyone sees a join, --version, one-line
// flag errors with exit code 2 from all three programs, `--help | head` without a crash, and the
// relay's startup line naming the page to open.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { FRAMECAST_VERSION } from "../../cli/version.ts";
import { estimateFps } from "../../client/outputs/frame-rate-estimate.ts";
import type { SpawnedRelay } from "../../harness/spawned-relay.ts";
import { FFPROBE } from "../../harness/tools.ts";
import { pageUrls } from "../../relay/http/page-urls.ts";
import { clientTestScope, runClient } from "../fixtures/client/run-client.ts";
import { SECRET, token } from "../support/secure-peer.ts";

const ROOT = join(import.meta.dir, "..", "..");
const PROGRAMS = {
  relay: join(ROOT, "relay", "main.ts"),
  client: join(ROOT, "client", "main.ts"),
  bench: join(ROOT, "bench", "main.ts"),
} as const;

const scope = clientTestScope();
let relay: SpawnedRelay | null = null;

const testPattern = (fps: number) => [
  "--source",
  "test",
  "--size",
  "160x120",
  "--fps",
  String(fps),
  "--quality",
  "10",
];

function rFrameRate(path: string): string {
  const result = Bun.spawnSync(
    [
      FFPROBE,
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=r_frame_rate",
    ].concat(["-of", "default=noprint_wrappers=1:nokey=1", path]),
    { timeout: 30_000 },
  );
  return result.stdout.toString().trim();
}

describe("the client in a room", () => {
  test("the status line names you as the relay does (a join token's name beats --name)", async () => {
    relay = await scope.startRelay(["--auth-secret", SECRET]);
    const client = runClient(
      [...testPattern(10), "--relay", relay.wsUrl, "--room", "team", "--name", "root"],
      { FRAMECAST_TOKEN: await token("team", "carol") },
    );
    await client.waitFor(/joined room team as carol #\d+/);
    const line = await client.waitFor(/^status: me \(/);
    expect(line).toMatch(/^status: me \(carol #\d+\): sending/);
    expect(client.output()).not.toContain("me (root");
    expect(await client.stop()).toBe(0);
  }, 30_000);

  test("--relay ws://HOST/v1/rooms/team joins room team; a page link brings its room too", async () => {
    relay = await scope.startRelay();
    const byUrl = runClient(["--no-send", "--relay", `${relay.wsUrl}/v1/rooms/team`]);
    await byUrl.waitFor(/joined room team as /);
    const byLink = runClient(["--no-send", "--relay", `${relay.httpUrl}/r/crew?name=dee`]);
    await byLink.waitFor(/joined room crew as dee /);
    expect(relay.logs.filter((l) => l.event === "join").map((l) => l.room)).toEqual([
      "team",
      "crew",
    ]);
    expect(await Promise.all([byUrl.stop(), byLink.stop()])).toEqual([0, 0]);
    // A room in the URL that disagrees with --room is a mistake, not a guess.
    const both = runClient(["--no-send", "--relay", `${relay.wsUrl}/v1/rooms/team`, "--room", "x"]);
    expect(await both.stop("SIGCONT")).toBe(2);
    expect(both.output()).toContain("--room x disagrees with the room in --relay (team)");
  }, 30_000);

  test("--record says what it records while it records; the file declares the sender's fps", async () => {
    relay = await scope.startRelay();
    const dir = scope.tempDir("framecast-record-fps-");
    const room = ["--relay", relay.wsUrl, "--room", "rec"];
    const sender = runClient([...testPattern(15), "--name", "cam", ...room]);
    await sender.waitFor(/joined room rec/);
    const recorder = runClient([...testPattern(10), "--name", "rec", "--record", dir, ...room]);
    await recorder.waitFor(/recording cam to .*cam-\d+\.mkv$/);
    const progress = await recorder.waitFor(
      /^status: cam #\d+: .*; recorded [1-9]\d* frames to .* \(15 fps\)$/,
    );
    expect(progress).toContain(dir);
    expect(await Promise.all([recorder.stop(), sender.stop()])).toEqual([0, 0]);
    expect(recorder.output()).toMatch(
      /recorded cam: \d+ frames \(\d+ in the file: .* -> .*cam-\d+\.mkv \(15 fps\)/,
    );
    const [file] = readdirSync(dir);
    expect(file).toMatch(/^cam-\d+\.mkv$/);
    // cam sent 15 fps (the recorder itself 10): the file says 15, not the mjpeg default 25.
    expect(rFrameRate(join(dir, file as string))).toBe("15/1");
  }, 40_000);

  test("a camera that does not exist fails before joining: the room never sees it", async () => {
    relay = await scope.startRelay();
    const client = runClient(["--device", "/dev/video97", "--relay", relay.wsUrl]);
    expect(await client.stop("SIGCONT")).toBe(1);
    expect(client.output()).toContain("camera /dev/video97 does not exist");
    expect(client.output()).not.toContain("joined room");
    expect(relay.logs.some((l) => l.event === "join")).toBe(false);
  }, 30_000);
});

describe("the token command's client line", () => {
  test("runs as printed (npm run client -- ...) where only npm is known, and joins as the token's name", async () => {
    relay = await scope.startRelay(["--auth-secret", SECRET]);
    const minted = Bun.spawnSync(
      [process.execPath, PROGRAMS.relay, "token", "--room", "team", "--name", "dave"].concat([
        "--view-only",
        "--relay-url",
        relay.httpUrl,
      ]),
      { env: { ...process.env, RELAY_AUTH_SECRET: SECRET }, stdout: "pipe", timeout: 20_000 },
    );
    const line = minted.stdout
      .toString()
      .split("\n")
      .find((text) => text.startsWith("client "));
    const command = line?.replace(/^client\s+/, "") ?? "";
    expect(command).toStartWith("npm run client -- --relay ws://127.0.0.1:");
    expect(command).toEndWith("--no-send");
    // Its own process group, so that a Ctrl-C reaches npm, its shell and the client together,
    // as a terminal's does.
    const proc = Bun.spawn(["bash", "-c", command], {
      cwd: ROOT,
      detached: true,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const deadline = Date.now() + 20_000;
      const joined = () => relay?.logs.some((l) => l.event === "join" && l.name === "dave");
      while (!joined() && Date.now() < deadline) await Bun.sleep(100);
      expect(joined()).toBe(true);
      process.kill(-proc.pid, "SIGINT");
      const left = () => relay?.logs.some((l) => l.event === "leave" && l.name === "dave");
      while (!left() && Date.now() < deadline) await Bun.sleep(100);
      expect(left()).toBe(true);
      // npm itself answers a Ctrl-C with 130 whatever its script did; the client left cleanly.
      expect([0, 130]).toContain(await proc.exited);
      expect(await new Response(proc.stderr).text()).not.toMatch(/error|at .*\.ts:\d+/i);
    } finally {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {
        // Already gone, as it should be.
      }
    }
  }, 40_000);
});

describe("the three programs' command lines", () => {
  const run = (program: keyof typeof PROGRAMS, args: string[]) =>
    Bun.spawnSync([process.execPath, PROGRAMS[program], ...args], {
      stdout: "pipe",
      stderr: "pipe",
      timeout: 20_000,
    });

  test("--version prints the version for relay, client and bench", () => {
    for (const program of ["relay", "client", "bench"] as const) {
      const result = run(program, ["--version"]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout.toString()).toBe(
        `framecast ${program} ${FRAMECAST_VERSION} (bun ${Bun.version})\n`,
      );
    }
  });

  test("an unknown flag: one line naming it, exit code 2, from each program", () => {
    for (const program of ["relay", "client", "bench"] as const) {
      const result = run(program, ["--frobnicate"]);
      expect(result.exitCode).toBe(2);
      const stderr = result.stderr.toString();
      expect(stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(stderr).toContain("unknown flag --frobnicate (see --help)");
    }
  });

  test("--help | head: a reader that stops early is no crash", () => {
    for (const program of ["relay", "client", "bench"] as const) {
      // The reader closes the pipe before the help is written, as `head -1` may.
      const result = Bun.spawnSync(
        [
          "bash",
          "-c",
          `"$0" "$1" --help | (exec 0<&-; sleep 0.3); exit "\${PIPESTATUS[0]}"`,
          process.execPath,
          PROGRAMS[program],
        ],
        { stdout: "pipe", stderr: "pipe", timeout: 20_000 },
      );
      expect({ program, stderr: result.stderr.toString() }).toEqual({ program, stderr: "" });
      expect(result.exitCode).toBe(0);
    }
  });

  test("the relay's startup line gives the page's http:// address, not only ws://0.0.0.0", async () => {
    relay = await scope.startRelay();
    const listening = relay.logs.find((l) => l.event === "listening");
    expect(listening?.page).toEqual([`http://127.0.0.1:${relay.port}/`]);
    const page = await fetch(`http://127.0.0.1:${relay.port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>framecast</title>");
  }, 20_000);
});

describe("small parts", () => {
  test("page URLs: loopback and each LAN address for 0.0.0.0, the host itself otherwise", () => {
    const interfaces = {
      lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
      eth0: [
        { address: "192.168.1.20", family: "IPv4", internal: false },
        { address: "fe80::1", family: "IPv6", internal: false },
      ],
    } as unknown as Parameters<typeof pageUrls>[3];
    expect(pageUrls("0.0.0.0", 8765, false, interfaces)).toEqual([
      "http://127.0.0.1:8765/",
      "http://192.168.1.20:8765/",
    ]);
    expect(pageUrls("127.0.0.1", 9000, true, interfaces)).toEqual(["https://127.0.0.1:9000/"]);
    expect(pageUrls("::1", 9000, false, interfaces)).toEqual(["http://[::1]:9000/"]);
  });

  test("a stream's frame rate from its first frames' times, one late frame or not", () => {
    const at = (fps: number, n: number) => Array.from({ length: n }, (_, i) => (i * 1000) / fps);
    expect(estimateFps(at(15, 8))).toBe(15);
    expect(estimateFps(at(10, 8))).toBe(10);
    const jittery = at(15, 8).map((t, i) => (i === 4 ? t + 30 : t));
    expect(estimateFps(jittery)).toBe(15);
    // ffmpeg -re paces 15 fps as alternating 61 and 71 ms (its median alone would say 14).
    const alternating = [0, 61, 132, 193, 264, 325, 396, 457, 528];
    expect(estimateFps(alternating)).toBe(15);
    // A frame the sender skipped (a double interval) doesn't slow the estimate down.
    expect(estimateFps([0, 100, 200, 400, 500, 600, 700, 800])).toBe(10);
    expect(estimateFps([1000])).toBeNull();
    expect(estimateFps(at(1, 3))).toBe(1);
  });
});
