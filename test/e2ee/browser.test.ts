// End-to-end encrypted room, for real: the relay, Debian Chromium pages and CLI clients (ffmpeg
// testsrc). The page creates the room (its key only in the link's #fragment), the CLI joins with
// that link, both see each other and the CLI records the page's frames decrypted. A page and a
// CLI with the wrong key see "can't decrypt" and no picture; a v1 peer without a key gets
// payloads that are not JPEG; frames with one flipped header or payload byte are rejected by
// every receiver.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { FFMPEG } from "../../harness/tools.ts";
import {
  ENCRYPTED_FLAG,
  framePayload,
  generateRoomKey,
  isEncryptedFrame,
  looksLikeJpeg,
  readFlags,
  readHeader,
  readLayer,
  readSenderId,
} from "../../protocol/index.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { TestPeer } from "../support/peer.ts";
import { recordedVideo } from "../support/recorded-video.ts";
import {
  joinAs,
  openPage,
  remoteTiles,
  shareCamera,
  waitForRemoteTiles,
} from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
const ROOM = "sealed";
const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts");

let relay: SpawnedRelay | null = null;
const peers: TestPeer[] = [];
const recordDir = mkdtempSync(join(tmpdir(), "framecast-e2ee-record-"));

afterAll(async () => {
  for (const peer of peers) peer.close();
  await closeAllBrowsers();
  await killAllClients();
  await relay?.stop();
  rmSync(recordDir, { recursive: true, force: true });
});

/** True when ffmpeg can decode `bytes` as a JPEG image. */
function decodesAsJpeg(bytes: Uint8Array): boolean {
  const path = join(recordDir, `probe-${Math.random().toString(36).slice(2)}.jpg`);
  writeFileSync(path, bytes);
  const result = Bun.spawnSync(
    [FFMPEG, "-v", "error", "-f", "image2", "-c:v", "mjpeg", "-i", path, "-f", "null", "-"],
    { timeout: 15_000 },
  );
  rmSync(path, { force: true });
  return result.exitCode === 0 && result.stderr.toString().trim() === "";
}

browserTest(
  "page creates an encrypted room, CLI joins by its link: both see each other; wrong keys and no key see nothing",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser();

    // The page makes the room encrypted: a fresh key, only in the fragment and the room link.
    const ana = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`);
    await ana.page.check("#e2ee-input");
    await joinAs(ana.page, "ana");
    const link = await ana.page.$eval("#room-link", (a) => (a as HTMLAnchorElement).href);
    expect(link).toMatch(new RegExp(`^${relay.httpUrl}/r/${ROOM}#key=[A-Za-z0-9_-]{22}$`));
    expect(ana.page.url()).toBe(link);
    expect(await ana.page.isVisible("#e2ee-badge")).toBe(true);
    const key = new URL(link).hash.slice("#key=".length);
    await shareCamera(ana.page, "320x240", "10");

    // The CLI takes the whole link: room and relay come from it, the key from its fragment.
    const cli = runClient(
      ["--source", "test", "--e2ee-key", link, "--name", "cli", "--size", "320x240"].concat([
        "--fps",
        "10",
        "--record",
        recordDir,
      ]),
    );
    await cli.waitFor(new RegExp(`joined room ${ROOM} as cli`));
    // A receive-only CLI with the right key shows status lines.
    const watcher = runClient([
      "--no-send",
      "--e2ee-key",
      key,
      "--relay",
      relay.wsUrl,
      "--room",
      ROOM,
      "--name",
      "watcher",
    ]);
    await watcher.waitFor(/joined room/);

    // A v1 participant without a key (the relay still forwards it everything).
    const keyless = await TestPeer.join(relay.wsUrl, ROOM, "keyless");
    peers.push(keyless);

    // Wrong key: a page and a CLI.
    const wrongKey = generateRoomKey();
    const eve = await openPage(browser, `${relay.httpUrl}/r/${ROOM}#key=${wrongKey}`);
    expect(await eve.page.isChecked("#e2ee-input")).toBe(true);
    await joinAs(eve.page, "eve");
    const wrongCli = runClient([
      "--no-send",
      "--e2ee-key",
      wrongKey,
      "--relay",
      relay.wsUrl,
      "--room",
      ROOM,
      "--name",
      "wrongcli",
    ]);

    // Right key: ana sees the CLI's frames drawn, decrypted. The others send nothing: they are
    // in ana's people list, with no tile (web/watch/tile-grid.ts).
    const anaTiles = await waitForRemoteTiles(ana.page, ["cli"], 0);
    await ana.page.waitForFunction(
      () => document.querySelectorAll("#people li").length === 6,
      null,
      {
        timeout: 20_000,
      },
    );
    const people = await ana.page.$$eval("#people li", (items) => items.map((i) => i.textContent));
    for (const name of ["eve", "keyless", "watcher", "wrongcli"])
      expect(people).toContain(`${name} (not sending)`);
    await ana.page.waitForSelector('.tile[data-name="cli"][data-has-video="true"]', {
      timeout: 20_000,
    });
    await ana.page.waitForFunction(
      () =>
        Number(document.querySelector<HTMLElement>('.tile[data-name="cli"]')?.dataset.frames) >= 10,
      undefined,
      { timeout: 20_000 },
    );
    expect(anaTiles.length).toBe(1);
    const cliTile = (await remoteTiles(ana.page)).find((tile) => tile.name === "cli");
    expect(cliTile).toMatchObject({ e2ee: "ok", failed: "0", undecryptable: "0" });

    // Wrong key: eve's tiles of ana and cli say can't decrypt and draw nothing.
    await eve.page.waitForFunction(
      () =>
        ["ana", "cli"].every((name) => {
          const tile = document.querySelector<HTMLElement>(`.tile[data-name="${name}"]`);
          return tile?.dataset.e2ee === "cant_decrypt" && Number(tile.dataset.undecryptable) >= 5;
        }),
      undefined,
      { timeout: 20_000 },
    );
    for (const tile of await remoteTiles(eve.page)) {
      expect(tile.frames).toBe("0");
      expect(tile.hasVideo).toBe("false");
    }
    const eveText = await eve.page.$eval(
      '.tile[data-name="ana"]',
      (tile) => (tile as HTMLElement).textContent,
    );
    expect(eveText).toContain("can't decrypt (wrong key?)");
    mkdirSync(ARTIFACTS, { recursive: true });
    await eve.page.screenshot({ path: join(ARTIFACTS, "e2ee-wrong-key.png") });
    await ana.page.screenshot({ path: join(ARTIFACTS, "e2ee-right-key.png") });
    await wrongCli.waitFor(/ana #\d+: can't decrypt \(wrong key\?\), \d+ frames dropped/, 20_000);
    await wrongCli.waitFor(/cli #\d+: can't decrypt \(wrong key\?\), \d+ frames dropped/, 20_000);

    // No key, page: encrypted senders are marked (presence says they encrypt), nothing drawn.
    const kim = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`);
    expect(await kim.page.isChecked("#e2ee-input")).toBe(false);
    await joinAs(kim.page, "kim");
    await kim.page.waitForFunction(
      () =>
        ["ana", "cli"].every((name) => {
          const tile = document.querySelector<HTMLElement>(`.tile[data-name="${name}"]`);
          return tile?.dataset.e2ee === "no_key" && tile.dataset.peerE2ee === "true";
        }),
      undefined,
      { timeout: 20_000 },
    );
    for (const tile of (await remoteTiles(kim.page)).filter(
      (t) => t.name === "ana" || t.name === "cli",
    )) {
      expect(tile.frames).toBe("0");
    }
    expect(await kim.page.isVisible("#e2ee-badge")).toBe(false);
    await kim.context.close();

    // Layers are sealed too: a keyed CLI that wants 80x60 gets both senders' small layer (1),
    // decrypted; a keyless v1 peer asking for ana's layer 1 gets it encrypted, layer bits readable.
    const small = runClient(
      ["--no-send", "--e2ee-key", key, "--relay", relay.wsUrl, "--room", ROOM].concat([
        "--name",
        "small",
        "--max-size",
        "80x60",
      ]),
    );
    await small.waitFor(/ana #\d+: [1-9][\d.]* fps .*layer 1 \(80x60\)/, 20_000);
    await small.waitFor(/cli #\d+: [1-9][\d.]* fps .*layer 1 \(80x60\)/, 20_000);
    const layered = await TestPeer.joinWith(
      `${relay.wsUrl}/v1/rooms/${ROOM}?name=layered&ack=1&layers=1`,
    );
    peers.push(layered);
    const anaPeerId = layered.welcome.peers.find((p) => p.name === "ana")?.id as number;
    layered.ws.send(JSON.stringify({ type: "layer_request", sender: anaPeerId, layer: 1 }));
    const smallFrame = await layered.until(
      () => layered.binary.find((m) => readSenderId(m) === anaPeerId && readLayer(m) === 1),
      "a layer-1 frame of ana",
      15_000,
    );
    expect(readFlags(smallFrame)).toBe(ENCRYPTED_FLAG | (1 << 1));
    expect(looksLikeJpeg(framePayload(smallFrame))).toBe(false);
    expect(decodesAsJpeg(framePayload(smallFrame))).toBe(false);

    // Right key, CLI: the watcher sees both senders at a frame rate.
    await watcher.waitFor(/ana #\d+: [1-9][\d.]* fps/, 20_000);
    await watcher.waitFor(/cli #\d+: [1-9][\d.]* fps/, 20_000);

    // No key: the payloads the keyless v1 peer got are sealed: flag set, no FFD8, not an image.
    const anaId = keyless.welcome.peers.find((p) => p.name === "ana")?.id;
    await keyless.waitFor(() => keyless.binary.length >= 20, "20 frames", 20_000);
    const payloads = keyless.binary.filter((m) => readHeader(m).kind === 1);
    expect(payloads.length).toBeGreaterThanOrEqual(20);
    for (const message of payloads) {
      expect(isEncryptedFrame(message)).toBe(true);
      const payload = framePayload(message);
      expect(payload[0] === 0xff && payload[1] === 0xd8).toBe(false);
    }
    const fromAna = payloads.find((m) => readSenderId(m) === anaId) as Uint8Array;
    expect(fromAna).toBeDefined();
    expect(decodesAsJpeg(framePayload(fromAna))).toBe(false);
    expect(decodesAsJpeg(framePayload(payloads.at(-1) as Uint8Array))).toBe(false);

    // Tamper: mallory re-sends real sealed frames with one flipped byte (header: capture time,
    // sequence; payload: nonce, ciphertext, tag). Every receiver rejects every one.
    const mallory = await TestPeer.join(relay.wsUrl, ROOM, "mallory");
    peers.push(mallory);
    // ana knows mallory (listed); the tile comes with mallory's first frame.
    await ana.page.waitForSelector('#people li:has-text("mallory")', {
      state: "attached",
      timeout: 10_000,
    });
    const sample = fromAna;
    const flips = [
      8,
      15,
      16,
      19,
      20,
      31,
      32,
      Math.floor(sample.byteLength / 2),
      sample.byteLength - 1,
    ];
    for (const at of flips) {
      const copy = Uint8Array.from(sample);
      copy[at] = (copy[at] as number) ^ 0x01;
      mallory.ws.send(copy);
      await Bun.sleep(50);
    }
    await ana.page.waitForFunction(
      (count) => {
        const tile = document.querySelector<HTMLElement>('.tile[data-name="mallory"]');
        return tile?.dataset.e2ee === "cant_decrypt" && Number(tile.dataset.undecryptable) >= count;
      },
      flips.length,
      { timeout: 10_000 },
    );
    expect(
      await ana.page.$eval('.tile[data-name="mallory"]', (t) => (t as HTMLElement).dataset.frames),
    ).toBe("0");
    await watcher.waitFor(
      new RegExp(`mallory #\\d+: can't decrypt \\(wrong key\\?\\), ${flips.length} frames dropped`),
      10_000,
    );

    // The recording: the CLI decrypted ana's frames locally; nothing from mallory was written.
    await cli.waitFor(/recording ana to /);
    await Bun.sleep(1500);
    expect(await cli.stop()).toBe(0);
    const files = readdirSync(recordDir).filter((f) => f.endsWith(".mkv"));
    expect(files).toEqual([expect.stringMatching(/^ana-\d+\.mkv$/)]);
    // JPEG, or H.264 where the CLI declares codecs=h264: opened and decoding clean.
    const video = recordedVideo(join(recordDir, files[0] as string));
    expect(["mjpeg", "h264"]).toContain(video.codec);
    expect(video.errors).toBe("");
    expect(video.count).toBeGreaterThanOrEqual(10);
    expect([...video.sizes]).toEqual(["320x240"]);
    expect([...ana.errors, ...eve.errors]).toEqual([]);
  },
  150_000,
);
