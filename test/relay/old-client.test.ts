// A client of the original Python project's protocol (python3-websockets, base64 JPEG text at
// "/") against this relay, in the same room as a protocol-v1 peer: each sees the other's frames.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { available } from "../../harness/tools.ts";
import { encodeVideoFrame, framePayload, LEGACY_ROOM } from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";

const PYTHON = "/usr/bin/python3";
const OLD_CLIENT = join(import.meta.dir, "..", "fixtures", "legacy", "old_client.py");
const hasWebsockets = (() => {
  try {
    return Bun.spawnSync([PYTHON, "-c", "import websockets"], { stderr: "ignore" }).exitCode === 0;
  } catch {
    return false;
  }
})();

describe.skipIf(!available("python3-websockets", hasWebsockets))(
  "old-protocol Python client",
  () => {
    let relay: SpawnedRelay;
    let dir: string;
    beforeAll(async () => {
      relay = await startRelay();
      dir = mkdtempSync(join(tmpdir(), "framecast-old-client-"));
    });
    afterAll(async () => {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("sends base64 JPEGs a v1 peer receives, and receives the v1 peer's as base64", async () => {
      const oldJpeg = makeJpeg(48, 32, 5);
      const jpegPath = join(dir, "old.jpg");
      writeFileSync(jpegPath, oldJpeg);
      const v1 = await TestPeer.join(relay.wsUrl, LEGACY_ROOM, "modern");
      const FRAMES = 20;
      const python = Bun.spawn(
        [PYTHON, OLD_CLIENT, `${relay.wsUrl}/`, jpegPath, String(FRAMES), "1.5"],
        {
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const killer = setTimeout(() => python.kill("SIGKILL"), 20_000);
      try {
        const join = await v1.waitForControl("join", (j) => j.peer.legacy);
        // The v1 peer streams its own JPEG while the old client is connected.
        const v1Jpeg = makeJpeg(40, 30, 9);
        for (let seq = 0; seq < FRAMES; seq++) {
          v1.ws.send(encodeVideoFrame(v1Jpeg, Date.now(), seq));
          await Bun.sleep(20);
        }
        const [stdout, stderr] = await Promise.all([
          new Response(python.stdout).text(),
          new Response(python.stderr).text(),
          python.exited,
        ]);
        expect(python.exitCode, stderr).toBe(0);
        const summary = JSON.parse(stdout.trim()) as {
          sent: number;
          received: number;
          bad: number;
          distinct: string[];
        };
        // The old client got every v1 frame as a bare base64 JPEG, nothing else (no JSON).
        expect(summary).toEqual({
          sent: FRAMES,
          received: FRAMES,
          bad: 0,
          distinct: [String(v1Jpeg.byteLength)],
        });
        // The v1 peer got every old-protocol frame with a relay-stamped header, JPEG bytes intact.
        const fromOld = v1.binary.filter(
          (m) => new DataView(m.buffer, m.byteOffset).getUint32(4, true) === join.peer.id,
        );
        expect(fromOld.length).toBe(FRAMES);
        for (const message of fromOld)
          expect(Buffer.compare(framePayload(message), oldJpeg)).toBe(0);
        await v1.waitForControl("leave", (l) => l.id === join.peer.id);
      } finally {
        clearTimeout(killer);
        python.kill("SIGKILL");
        v1.close();
      }
    }, 30_000);
  },
);
