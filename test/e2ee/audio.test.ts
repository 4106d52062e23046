// Sound in an end-to-end encrypted room, with the real relay, CLI and ffmpeg: a tone sender with
// the key, a recorder with the key (its file holds the 440 Hz tone, decrypted locally), a v1 peer
// without the key (kind-3 packets with the Encrypted flag, no Opus it could play) and a CLI with
// the wrong key (its status line says can't decrypt).
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  ENCRYPTED_FLAG,
  FrameKind,
  generateRoomKey,
  HEADER_BYTES,
  readFlags,
  readHeader,
} from "../../protocol/index.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { decodeAudio } from "../support/av-analysis.ts";
import { TestPeer } from "../support/peer.ts";
import { dominantFrequency } from "../support/tone.ts";

let relay: SpawnedRelay | null = null;
const peers: TestPeer[] = [];
const dir = mkdtempSync(join(tmpdir(), "framecast-e2ee-audio-"));

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  await killAllClients();
  await relay?.stop();
  relay = null;
  rmSync(dir, { recursive: true, force: true });
});

test("sound is sealed too: recorded decrypted with the key, unreadable without it", async () => {
  relay = await startRelay();
  const key = generateRoomKey();
  const room = ["--relay", relay.wsUrl, "--room", "hush"];
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
  await recorder.waitFor(/joined room hush as rec/);
  await wrong.waitFor(/joined room hush as wrong/);
  const keyless = await TestPeer.join(relay.wsUrl, "hush", "keyless");
  peers.push(keyless);
  const tone = runClient([
    "--audio-source",
    "test",
    "--tone",
    "440",
    "--name",
    "tone",
    "--e2ee-key",
    key,
    ...room,
  ]);
  await recorder.waitFor(/recording tone \(sound only\)/, 15_000);

  // Without the key: kind-3 packets, flagged, 28 bytes over an Opus packet's ~100, no Opus TOC
  // byte pattern to rely on: the payload is ciphertext.
  await keyless.waitFor(() => keyless.binary.length >= 50, "50 sound packets", 15_000);
  const packets = keyless.binary.filter((m) => readHeader(m).kind === FrameKind.Audio);
  expect(packets.length).toBeGreaterThanOrEqual(50);
  for (const packet of packets) expect(readFlags(packet)).toBe(ENCRYPTED_FLAG);
  const payloads = new Set(
    packets.map((p) => Buffer.from(p.subarray(HEADER_BYTES, HEADER_BYTES + 12)).toString("hex")),
  );
  expect(payloads.size).toBe(packets.length); // a fresh nonce on every packet

  // The wrong key: said on the status line, nothing recorded or played.
  await wrong.waitFor(/tone #\d+: can't decrypt \(wrong key\?\), \d+ frames dropped/, 15_000);

  await Bun.sleep(3000);
  expect(await tone.stop()).toBe(0);
  await recorder.waitFor(/recorded tone: 0 frames .*, \d+ packets/, 15_000);
  const recorded = Number(/recorded tone: .*, (\d+) packets/.exec(recorder.output())?.[1]);
  expect(recorded).toBeGreaterThan(100);
  expect(await recorder.stop()).toBe(0);
  const file = readdirSync(dir).find((name) => name.startsWith("tone-"));
  expect(file).toBeDefined();
  const sound = decodeAudio(join(dir, file as string));
  const middle = Math.floor(sound.length / 2);
  const hz = dominantFrequency(sound.subarray(middle - 12000, middle + 12000), 48_000);
  console.log(`encrypted sound: ${recorded} packets recorded, ${hz.toFixed(1)} Hz`);
  expect(Math.abs(hz - 440)).toBeLessThan(4.4);
}, 60_000);
