// Flags, environment variables, defaults, and the one-line errors with exit code 2.
import { describe, expect, test } from "bun:test";
import { FLAGS } from "../../client/flags.ts";
import { Backoff } from "../../client-core/backoff.ts";
import { runClient } from "../fixtures/client/run-client.ts";
import { options, usageError } from "../support/client-options.ts";

describe("options", () => {
  test("defaults", () => {
    const parsed = options(["--source", "test"], {});
    expect(parsed).toMatchObject({
      source: { kind: "test" },
      relay: "ws://127.0.0.1:8765/",
      room: "lobby",
      fps: 15,
      width: 640,
      height: 480,
      quality: 5,
      wire: "binary",
      view: false,
      record: null,
    });
    expect(parsed.name.length).toBeGreaterThan(0);
  });

  test("every setting has an environment variable; flags win over it", () => {
    const env = {
      FRAMECAST_DEVICE: "/dev/video3",
      FRAMECAST_RELAY: "wss://relay.example.org:9000/",
      FRAMECAST_ROOM: "team-1",
      FRAMECAST_NAME: "Ann",
      FRAMECAST_FPS: "10",
      FRAMECAST_SIZE: "320x240",
      FRAMECAST_QUALITY: "9",
      FRAMECAST_WIRE: "base64",
      FRAMECAST_VIEW: "1",
      FRAMECAST_RECORD: "/tmp/rec",
      FFMPEG_PATH: "/opt/ffmpeg",
      FFPLAY_PATH: "/opt/ffplay",
    };
    expect(options([], env)).toMatchObject({
      source: { kind: "device", path: "/dev/video3" },
      relay: "wss://relay.example.org:9000/",
      room: "team-1",
      name: "Ann",
      fps: 10,
      width: 320,
      height: 240,
      quality: 9,
      wire: "base64",
      view: true,
      record: "/tmp/rec",
      ffmpeg: "/opt/ffmpeg",
      ffplay: "/opt/ffplay",
    });
    expect(options(["--fps", "30", "--room", "x"], env)).toMatchObject({ fps: 30, room: "x" });
    expect(options([], { FRAMECAST_NO_SEND: "0", FRAMECAST_SOURCE: "test" }).source).toEqual({
      kind: "test",
    });
  });

  test("--no-send needs no source; --device alone is enough", () => {
    expect(options(["--no-send"]).source).toBeNull();
    expect(options(["--device", "/dev/video0"]).source).toEqual({
      kind: "device",
      path: "/dev/video0",
    });
  });

  test("bad values give one clear line", () => {
    expect(usageError(["--source", "test", "--size", "12"])).toContain(
      "--size must look like 640x480",
    );
    expect(usageError(["--source", "test", "--fps", "0"])).toContain(
      "--fps must be a whole number from 1 to 60",
    );
    expect(usageError(["--source", "test", "--fps", "2.5"])).toContain("--fps");
    expect(usageError(["--source", "test", "--quality", "40"])).toContain("--quality");
    expect(usageError(["--source", "test", "--wire", "json"])).toContain(
      "--wire must be 'binary' or 'base64'",
    );
    expect(usageError(["--source", "test", "--room", "a b"])).toContain("--room must be 1-64");
    expect(usageError(["--source", "test", "--relay", "ftp://x"])).toContain("ws:// or wss://");
    expect(usageError(["--source", "test", "--relay", "ws://x/elsewhere"])).toContain(
      "is not a room",
    );
    expect(usageError(["--source", "camera"])).toContain("--source must be 'test'");
    expect(usageError(["--file", "/nonexistent.mp4"])).toContain("no such file");
    expect(usageError([])).toContain("say what to send");
    expect(usageError(["--source", "test", "--device", "/dev/video0"])).toContain("only one of");
    expect(usageError(["--no-send", "--source", "test"])).toContain("--no-send captures nothing");
    expect(usageError(["--nope"])).toBe("unknown flag --nope (see --help)");
    expect(usageError(["--source"])).toBe("--source needs a value (see --help)");
    expect(usageError(["--view=1", "--source", "test"])).toBe("--view takes no value (see --help)");
    expect(usageError(["--source", "test", "extra"])).toContain("unexpected argument 'extra'");
    expect(usageError(["--no-send"], { FRAMECAST_VIEW: "maybe" })).toContain(
      "FRAMECAST_VIEW=maybe",
    );
    for (const message of [
      usageError(["--source", "test", "--size", "12"]),
      usageError(["--nope"]),
      usageError(["--room", "--source", "test"]),
    ]) {
      expect(message).not.toContain("\n");
      // Quotes come in pairs (parseArgs's own text, cut to a line, left one open).
      expect(message.split("'").length % 2).toBe(1);
    }
  });

  test("backoff grows exponentially with jitter up to its cap, and resets", () => {
    const low = new Backoff({ initialMs: 500, maxMs: 4000, random: () => 0 });
    expect([1, 2, 3, 4, 5].map(() => low.next())).toEqual([250, 500, 1000, 2000, 2000]);
    const high = new Backoff({ initialMs: 500, maxMs: 4000, random: () => 0.999999 });
    expect(Math.round(high.next())).toBe(500);
    high.reset();
    expect(high.attempt).toBe(0);
  });
});

describe("command line", () => {
  test("--help lists every flag with its env var and default, exit 0", async () => {
    const client = runClient(["--help"]);
    expect(await client.stop("SIGCONT")).toBe(0);
    const help = client.stdout.join("\n");
    for (const flag of FLAGS) {
      expect(help).toContain(`--${flag.name}`);
      if (flag.env) expect(help).toContain(flag.env);
      if (flag.default) expect(help).toContain(`default: ${flag.default}`);
    }
  });

  for (const args of [
    ["--size", "12", "--source", "test"],
    ["--fps", "0", "--source", "test"],
    ["--bogus"],
  ]) {
    test(`${args.join(" ")} → one line on stderr, exit 2`, async () => {
      const client = runClient(args);
      expect(await client.stop("SIGCONT")).toBe(2);
      expect(client.stderr.filter((line) => line !== "")).toHaveLength(1);
      expect(client.stderr[0]).toMatch(/^framecast: /);
    });
  }
});
