// The page's microphone in an end-to-end encrypted room (real relay, Debian Chromium, CLI): the
// page seals its Opus packets, a CLI with the key records them as sound, a v1 peer without the
// key gets flagged ciphertext, and a page with the wrong key says "can't decrypt" on the tile.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  ENCRYPTED_FLAG,
  FrameKind,
  generateRoomKey,
  readFlags,
  readHeader,
} from "../../protocol/index.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { TestPeer } from "../support/peer.ts";
import { joinAs, openPage } from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
const ROOM = "hushpage";
let relay: SpawnedRelay | null = null;
const peers: TestPeer[] = [];
const dir = mkdtempSync(join(tmpdir(), "framecast-e2ee-page-audio-"));

afterAll(async () => {
  for (const peer of peers) peer.close();
  await closeAllBrowsers();
  await killAllClients();
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

browserTest(
  "the page's microphone is sealed: recorded with the key, ciphertext without, can't decrypt with the wrong one",
  async () => {
    relay = await startRelay();
    const key = generateRoomKey();
    const recorder = runClient(
      ["--no-send", "--e2ee-key", `${relay.httpUrl}/r/${ROOM}#key=${key}`].concat([
        "--name",
        "rec",
        "--record",
        dir,
      ]),
    );
    await recorder.waitFor(new RegExp(`joined room ${ROOM} as rec`));
    const keyless = await TestPeer.join(relay.wsUrl, ROOM, "keyless");
    peers.push(keyless);

    const browser = await launchBrowser();
    const ana = await openPage(browser, `${relay.httpUrl}/r/${ROOM}#key=${key}`);
    await joinAs(ana.page, "ana");
    await ana.page.click("#mic-button");
    await ana.page.waitForSelector('#app[data-mic="on"]', { timeout: 15_000 });
    const eve = await openPage(browser, `${relay.httpUrl}/r/${ROOM}#key=${generateRoomKey()}`);
    await joinAs(eve.page, "eve");

    await recorder.waitFor(
      /recording ana \(picture and sound\)|recording ana \(sound only\)/,
      20_000,
    );
    await keyless.waitFor(
      () => keyless.binary.filter((m) => readHeader(m).kind === FrameKind.Audio).length >= 25,
      "25 sound packets",
      15_000,
    );
    const sound = keyless.binary.filter((m) => readHeader(m).kind === FrameKind.Audio);
    for (const packet of sound) expect(readFlags(packet)).toBe(ENCRYPTED_FLAG);
    await eve.page.waitForFunction(
      () => {
        const tile = document.querySelector<HTMLElement>('.tile[data-name="ana"]');
        return tile?.dataset.e2ee === "cant_decrypt" && Number(tile.dataset.undecryptable) >= 10;
      },
      undefined,
      { timeout: 15_000 },
    );

    await Bun.sleep(1500);
    await ana.page.click("#leave-button");
    await recorder.waitFor(/recorded ana: \d+ frames .*, \d+ packets/, 15_000);
    const packets = Number(/recorded ana: .*, (\d+) packets/.exec(recorder.output())?.[1]);
    console.log(`page microphone, encrypted: ${packets} packets recorded by the CLI with the key`);
    expect(packets).toBeGreaterThan(25);
    expect(await recorder.stop()).toBe(0);
    expect([...ana.errors, ...eve.errors]).toEqual([]);
  },
  90_000,
);
