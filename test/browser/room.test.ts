// End to end in real headless Chromium: two browser pages and one CLI client (ffmpeg testsrc) in
// one room. Each page shows the other two with frames updating; the CLI client records both
// browsers' frames, which must decode (JPEG, or H.264 to a CLI that decodes it) at the size the
// pages chose. Saves screenshots to
// artifacts/ (and docs/screenshot-room.png when UPDATE_SCREENSHOT=1).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { recordedVideo } from "../support/recorded-video.ts";
import {
  appData,
  framesByName,
  joinAs,
  openPage,
  type Participant,
  shareCamera,
  waitForRemoteTiles,
} from "../support/room-page.ts";

/** Skipped without Chromium on a developer machine; CI installs it and fails without it. */
const browserTest = test.skipIf(!hasChromium);

const ROOM = "browsers";
const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts");
const DOCS_SCREENSHOT = join(import.meta.dir, "..", "..", "docs", "screenshot-room.png");

let relay: SpawnedRelay | null = null;
const participants: Participant[] = [];
const recordDir = mkdtempSync(join(tmpdir(), "framecast-browser-record-"));

afterAll(async () => {
  await closeAllBrowsers();
  await killAllClients();
  await relay?.stop();
  rmSync(recordDir, { recursive: true, force: true });
});

browserTest(
  "two browsers and a CLI client: everyone sees everyone, the CLI records both browsers",
  async () => {
    relay = await startRelay();
    mkdirSync(ARTIFACTS, { recursive: true });
    const cli = runClient(
      ["--source", "test", "--relay", relay.wsUrl, "--room", ROOM, "--name", "cli"].concat([
        "--size",
        "320x240",
        "--fps",
        "10",
        "--quality",
        "8",
        "--record",
        recordDir,
      ]),
    );
    await cli.waitFor(new RegExp(`joined room ${ROOM} as cli`));

    const browser = await launchBrowser();
    for (const name of ["ana", "ben"]) {
      const participant = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`);
      participants.push(participant);
      // The room comes from the link; only the name is typed.
      expect(await participant.page.inputValue("#room-input")).toBe(ROOM);
      await joinAs(participant.page, name);
      await shareCamera(participant.page, "320x240", "10");
      await participant.page.waitForSelector('#app[data-camera="on"]', { timeout: 15_000 });
    }
    const [ana, ben] = participants as [Participant, Participant];

    // Each page: exactly two remote tiles (the other browser and the CLI client), frames drawn.
    const anaTiles = await waitForRemoteTiles(ana.page, ["ben", "cli"], 10);
    const benTiles = await waitForRemoteTiles(ben.page, ["ana", "cli"], 10);
    for (const tile of [...anaTiles, ...benTiles]) {
      expect(Number(tile.fps)).toBeGreaterThan(0);
      expect(tile.latencyMs).toMatch(/^-?\d+$/); // measured: empty until a latency is known
      expect(tile.failed).toBe("0");
    }
    // ... and still updating a second later.
    const before = [await framesByName(ana.page), await framesByName(ben.page)];
    await Bun.sleep(1500);
    const after = [await framesByName(ana.page), await framesByName(ben.page)];
    before.forEach((counts, i) => {
      for (const [name, frames] of counts) expect(after[i]?.get(name) ?? 0).toBeGreaterThan(frames);
    });
    // Each page's own preview is there too, and says what it sends.
    const selfSent = await ana.page.$eval(".tile.self", (tile) =>
      Number((tile as HTMLElement).dataset.sent),
    );
    expect(selfSent).toBeGreaterThan(10);

    await ana.page.screenshot({ path: join(ARTIFACTS, "browser-room.png") });
    if (process.env.UPDATE_SCREENSHOT === "1") {
      await ana.page.setViewportSize({ width: 1000, height: 420 });
      await Bun.sleep(500);
      await ana.page.screenshot({ path: DOCS_SCREENSHOT });
    }

    // The CLI client records both browsers: valid pictures at the size the pages chose.
    await cli.waitFor(/recording ana to /);
    await cli.waitFor(/recording ben to /);
    await Bun.sleep(2000);
    expect(await cli.stop()).toBe(0);
    const files = readdirSync(recordDir).sort();
    expect(files).toEqual([
      expect.stringMatching(/^ana-\d+\.mkv$/),
      expect.stringMatching(/^ben-\d+\.mkv$/),
    ]);
    for (const file of files) {
      const path = join(recordDir, file);
      // JPEG, or H.264 where the CLI declares codecs=h264: as the page sent it, decoding clean.
      const video = recordedVideo(path);
      expect(["mjpeg", "h264"]).toContain(video.codec);
      expect(video.errors).toBe("");
      expect(video.count).toBeGreaterThanOrEqual(10);
      expect([...video.sizes]).toEqual(["320x240"]);
    }
    // The CLI left: both pages drop its tile.
    await waitForRemoteTiles(ana.page, ["ben"], 1);
    await waitForRemoteTiles(ben.page, ["ana"], 1);
    expect([...ana.errors, ...ben.errors]).toEqual([]);
    expect(await appData(ana.page)).toMatchObject({ state: "live", camera: "on" });
  },
  120_000,
);

browserTest(
  "a phone-sized screen: one column of tiles, nothing wider than the screen, big touch targets",
  async () => {
    if (!relay) throw new Error("needs the room from the previous test");
    const browser = await launchBrowser();
    const phone = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`, {
      width: 390,
      height: 844,
    });
    await joinAs(phone.page, "phone");
    await waitForRemoteTiles(phone.page, ["ana", "ben"], 5);
    const layout = await phone.page.evaluate(() => {
      const tiles = [...document.querySelectorAll<HTMLElement>("#tiles .tile")];
      // Visible ones: Mute shows only while the microphone is shared.
      const buttons = [...document.querySelectorAll<HTMLElement>("#room-controls button")].filter(
        (button) => !button.hidden,
      );
      return {
        pageWidth: document.documentElement.scrollWidth,
        viewport: innerWidth,
        tileLefts: [...new Set(tiles.map((tile) => Math.round(tile.getBoundingClientRect().left)))],
        tileWidths: tiles.map((tile) => tile.getBoundingClientRect().width),
        buttonHeights: buttons.map((button) => button.getBoundingClientRect().height),
      };
    });
    expect(layout.pageWidth).toBeLessThanOrEqual(layout.viewport);
    expect(layout.tileLefts).toHaveLength(1);
    for (const width of layout.tileWidths) expect(width).toBeGreaterThan(300);
    for (const height of layout.buttonHeights) expect(height).toBeGreaterThanOrEqual(44);
    await phone.page.screenshot({ path: join(ARTIFACTS, "browser-phone.png"), fullPage: true });
    expect(phone.errors).toEqual([]);
  },
  60_000,
);
