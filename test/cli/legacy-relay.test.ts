// --wire base64 against the original project's kind of relay: a Python broadcast server that
// only knows base64 JPEG text (needs Debian's python3-websockets).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Subprocess, spawn } from "bun";
import { available } from "../../harness/tools.ts";
import { killAllClients, probe, runClient } from "../fixtures/client/run-client.ts";

const PYTHON = "/usr/bin/python3";
const RELAY = join(import.meta.dir, "..", "fixtures", "client", "legacy_relay.py");
const hasWebsockets =
  Bun.spawnSync([PYTHON, "-c", "import websockets"], { stderr: "ignore" }).exitCode === 0;

let relay: Subprocess<"ignore", "pipe", "ignore"> | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await killAllClients();
  relay?.kill("SIGKILL");
  await relay?.exited;
  relay = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startLegacyRelay(): Promise<number> {
  relay = spawn([PYTHON, RELAY], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  const reader = relay.stdout.getReader();
  const timeout = setTimeout(() => relay?.kill("SIGKILL"), 10_000);
  const { value } = await reader.read();
  clearTimeout(timeout);
  reader.releaseLock();
  const port = Number(new TextDecoder().decode(value).trim());
  if (!port) throw new Error("legacy relay did not start");
  return port;
}

describe.skipIf(!available("python3-websockets", hasWebsockets))(
  "client against a base64-only relay",
  () => {
    test("two --wire base64 clients send and record each other as one unnamed stream", async () => {
      const port = await startLegacyRelay();
      const url = `ws://127.0.0.1:${port}/`;
      const [dirA, dirB] = [0, 1].map(() => {
        const dir = mkdtempSync(join(tmpdir(), "framecast-legacy-"));
        dirs.push(dir);
        return dir;
      }) as [string, string];
      const common = [
        "--source",
        "test",
        "--size",
        "320x240",
        "--fps",
        "15",
        "--wire",
        "base64",
        "--relay",
        url,
      ];
      const a = runClient([...common, "--record", dirA]);
      const b = runClient([...common, "--record", dirB]);
      await a.waitFor(/recording stream to /);
      await b.waitFor(/recording stream to /);
      await Bun.sleep(3000);
      expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0]);
      for (const dir of [dirA, dirB]) {
        const files = readdirSync(dir);
        expect(files).toEqual(["stream-0.mkv"]);
        const facts = probe(join(dir, files[0] as string));
        expect(facts).toMatchObject({ width: 320, height: 240, codec: "mjpeg" });
        // 3 s at 15 fps, with slack for the start.
        expect(facts.frames).toBeGreaterThanOrEqual(40);
        expect(facts.frames).toBeLessThanOrEqual(60);
      }
      // No presence on such a relay: no joins, no room messages.
      expect(a.output()).not.toMatch(/joined/);
    }, 40_000);
  },
);
