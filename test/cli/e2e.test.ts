// End to end: real relay, real clients, real ffmpeg (testsrc), real recordings.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  decodeRecording,
  killAllClients,
  probe,
  runClient,
} from "../fixtures/client/run-client.ts";

const FPS = 15;
let relay: SpawnedRelay | null = null;
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "framecast-client-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await killAllClients();
  await relay?.stop();
  relay = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function onlyFile(dir: string): string {
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  return join(dir, files[0] as string);
}

const sendArgs = (name: string, record: string) =>
  ["--source", "test", "--size", "320x240", "--fps", String(FPS), "--quality", "8"].concat([
    "--name",
    name,
    "--record",
    record,
  ]);

describe("client against the relay", () => {
  test("two clients in a room each record the other: files play with the expected frames", async () => {
    relay = await startRelay();
    const [dirA, dirB] = [tempDir(), tempDir()];
    const room = ["--relay", relay.wsUrl, "--room", "e2e"];
    const alice = runClient([...sendArgs("alice", dirA), ...room]);
    await alice.waitFor(/joined room e2e as alice/);
    const bob = runClient([...sendArgs("bob", dirB), ...room]);
    await bob.waitFor(/joined room e2e as bob #\d+; here: alice/);
    await alice.waitFor(/bob #\d+ joined/);
    // Both recordings have started once each side got its first frame.
    await alice.waitFor(/recording bob to /);
    await bob.waitFor(/recording alice to /);
    const started = performance.now();
    await Bun.sleep(4000);
    const stopped = Promise.all([alice.stop(), bob.stop()]);
    const seconds = (performance.now() - started) / 1000;
    expect(await stopped).toEqual([0, 0]);

    const expected = FPS * seconds;
    for (const [client, dir, other] of [
      [alice, dirA, "bob"],
      [bob, dirB, "alice"],
    ] as const) {
      const file = onlyFile(dir);
      expect(file).toMatch(new RegExp(`${other}-\\d+\\.mkv$`));
      const facts = probe(file);
      expect(facts).toMatchObject({ width: 320, height: 240, codec: "mjpeg" });
      expect(Math.abs(facts.frames - expected)).toBeLessThanOrEqual(expected * 0.1);
      // The client's own count matches what ffprobe finds in the file: nothing lost in muxing.
      const said = client.output().match(/recorded (\w+): \d+ frames \((\d+) in the file/);
      expect(said?.[1]).toBe(other);
      expect(Number(said?.[2])).toBe(facts.frames);
      const decoded = decodeRecording(file);
      expect(decoded.count).toBe(facts.frames);
      expect([...decoded.sizes]).toEqual(["320x240"]);
      console.log(
        `${other}: ${facts.frames} frames in ${seconds.toFixed(2)} s (expected ${expected.toFixed(0)})`,
      );
    }
  }, 60_000);

  test("a --wire base64 client and a binary client see each other through the relay's / path", async () => {
    relay = await startRelay();
    const [dirLegacy, dirBinary] = [tempDir(), tempDir()];
    const binary = runClient([
      ...sendArgs("bina", dirBinary),
      "--relay",
      relay.wsUrl,
      "--room",
      "lobby",
    ]);
    await binary.waitFor(/joined room lobby as bina/);
    const legacy = runClient([
      ...sendArgs("old", dirLegacy),
      "--relay",
      `${relay.wsUrl}/`,
      "--wire",
      "base64",
    ]);
    await legacy.waitFor(/connected to .*base64 protocol/);
    await binary.waitFor(/#\d+ joined \(base64 client\)/);
    await legacy.waitFor(/recording stream to /);
    await binary.waitFor(/recording legacy-\d+ to /);
    await Bun.sleep(2500);
    expect(await Promise.all([legacy.stop(), binary.stop()])).toEqual([0, 0]);

    const fromBinary = probe(onlyFile(dirLegacy));
    const fromLegacy = probe(onlyFile(dirBinary));
    for (const facts of [fromBinary, fromLegacy]) {
      expect(facts).toMatchObject({ width: 320, height: 240, codec: "mjpeg" });
      // ~2.5 s at 15 fps; generous lower bound, the exact count is checked in the binary test.
      expect(facts.frames).toBeGreaterThanOrEqual(25);
    }
    expect(decodeRecording(onlyFile(dirLegacy)).sizes).toEqual(new Set(["320x240"]));
    expect(decodeRecording(onlyFile(dirBinary)).sizes).toEqual(new Set(["320x240"]));
  }, 60_000);

  test("without --view/--record it prints a status line per participant (fps, kB/s, latency)", async () => {
    relay = await startRelay();
    const room = ["--relay", relay.wsUrl, "--room", "status"];
    const sender = runClient([
      "--source",
      "test",
      "--size",
      "160x120",
      "--fps",
      "10",
      "--name",
      "cam",
      ...room,
    ]);
    await sender.waitFor(/joined room status/);
    const watcher = runClient(["--no-send", "--name", "eye", ...room]);
    const line = await watcher.waitFor(
      /^status: cam #\d+: ([1-9]\d*\.\d) fps .* kB\/s, latency \d+ ms/,
      15_000,
    );
    expect(line).toMatch(/dropped 0/);
    await watcher.waitFor(/^status: me: receiving only \[connected\]/);
    await sender.waitFor(/^status: me \(cam #\d+\): sending \d+\.\d fps/);
    expect(await Promise.all([watcher.stop(), sender.stop()])).toEqual([0, 0]);
  }, 40_000);

  test("reconnects with backoff when the relay goes away, keeping capture running", async () => {
    relay = await startRelay();
    const port = relay.port;
    const record = tempDir();
    const watcher = runClient([
      "--no-send",
      "--record",
      record,
      "--relay",
      relay.wsUrl,
      "--room",
      "rc",
    ]);
    const sender = runClient([
      "--source",
      "test",
      "--size",
      "160x120",
      "--name",
      "cam",
      "--relay",
      relay.wsUrl,
      "--room",
      "rc",
    ]);
    await watcher.waitFor(/recording cam to /);
    await Bun.sleep(1000);
    await relay.stop();
    await sender.waitFor(/connection to the relay lost/);
    await sender.waitFor(/reconnecting in \d+\.\d s/);
    // Same port again; the relay's last --port wins.
    relay = await startRelay(["--port", String(port)]);
    await watcher.waitFor(/recording cam to /, 20_000, 2);
    await sender.waitFor(/joined room rc as cam/);
    // Frames flow again after the reconnect: a second recording file appears and grows.
    await Bun.sleep(1500);
    expect(await Promise.all([watcher.stop(), sender.stop()])).toEqual([0, 0]);
    const files = readdirSync(record).sort();
    expect(files.length).toBe(2);
    for (const file of files) expect(probe(join(record, file)).frames).toBeGreaterThan(5);
    // ffmpeg never stopped: one capture process the whole time.
    expect(sender.output()).not.toMatch(/capture stopped/);
  }, 60_000);
});
