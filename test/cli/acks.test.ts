// The CLI client acks every frame it has handled by default, and none with --no-ack.
import { afterEach, expect, test } from "bun:test";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame } from "../../protocol/index.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { TestPeer } from "../support/peer.ts";

let relay: SpawnedRelay | null = null;
let sender: TestPeer | null = null;

afterEach(async () => {
  sender?.close();
  sender = null;
  await killAllClients();
  await relay?.stop();
  relay = null;
});

async function counter(name: string): Promise<number> {
  const text = await (await fetch(`${relay?.httpUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
}

/** Joins a CLI receiver, sends it `frames` frames at 30 fps, returns the relay's ack count. */
async function acksFromClient(extraArgs: string[], frames: number): Promise<number> {
  relay = await startRelay();
  const room = `cli${extraArgs.length}`;
  const client = runClient(
    ["--no-send", "--relay", relay.wsUrl, "--room", room, "--name", "cli", ...extraArgs],
    { FFMPEG_PATH: undefined },
  );
  await client.waitFor(/joined room/);
  sender = await TestPeer.join(relay.wsUrl, room, "sender");
  const jpeg = makeJpegOfSize(10_000, 2);
  for (let seq = 0; seq < frames; seq++) {
    sender.ws.send(encodeVideoFrame(jpeg, performance.timeOrigin + performance.now(), seq));
    await Bun.sleep(33);
  }
  await Bun.sleep(300);
  // The client got them all either way (it keeps up).
  await client.waitFor(/sender.*\d/, 5000);
  return counter("framecast_acks_total");
}

test("the CLI acks each frame by default", async () => {
  expect(await acksFromClient([], 60)).toBeGreaterThanOrEqual(58);
}, 30_000);

test("--no-ack: the CLI joins without ?ack=1 and sends no acks", async () => {
  expect(await acksFromClient(["--no-ack"], 30)).toBe(0);
}, 30_000);
