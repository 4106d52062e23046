// The page as a call, in real Chromium at 1280x720: tiles that fill the space between the header
// and the control bar at the bottom for 1, 2, 4, 9 and 16 participants (at least 60% of it), a tile pinned large with the others in
// a strip, full screen, the participant count and list, the copy-link button, the quality value,
// and camera choice with a preview before joining. Screenshots at 1, 2 and 9 participants go to
// artifacts/ (and to docs/ with UPDATE_SCREENSHOT=1).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { MjpegSplitter } from "../../client/send/mjpeg-splitter.ts";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { ffmpegTestPattern } from "../../harness/tools.ts";
import { encodeVideoFrame } from "../../protocol/index.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { TestPeer } from "../support/peer.ts";
import { chooseCapture, openPage, openSettings, type Participant } from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);

const ROOM = "call";
const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts");
const DOCS = join(import.meta.dir, "..", "..", "docs");
const NAMES = ["ana", "ben", "chloé", "dev", "eli", "fay", "gus", "hana", "ivo", "jun"].concat([
  "kai",
  "lou",
  "mo",
  "nia",
  "oz",
]);

let relay: SpawnedRelay | null = null;
const peers: TestPeer[] = [];
const timers: ReturnType<typeof setInterval>[] = [];

afterAll(async () => {
  for (const timer of timers) clearInterval(timer);
  for (const peer of peers) peer.close();
  await closeAllBrowsers();
  await relay?.stop();
});

/** A few frames of ffmpeg's test pattern, tinted per participant (plain gradients if it fails). */
function framesFor(index: number): Uint8Array[] {
  const made = ffmpegTestPattern([
    "-vf",
    `hue=h=${index * 40}`,
    "-frames:v",
    "6",
    "-q:v",
    "6",
    "-f",
    "mjpeg",
    "pipe:1",
  ]);
  const frames: Uint8Array[] = [];
  if (made.exitCode === 0) {
    const splitter = new MjpegSplitter({ onFrame: (jpeg) => frames.push(jpeg.slice()) });
    splitter.push(new Uint8Array(made.stdout));
  }
  return frames.length > 0 ? frames : [makeJpeg(320, 240, index)];
}

/** Another participant: a plain WebSocket peer sending a looping test pattern at 4 fps. */
async function addPeer(index: number): Promise<void> {
  if (!relay) throw new Error("no relay");
  const peer = await TestPeer.join(relay.wsUrl, ROOM, NAMES[index] as string);
  peers.push(peer);
  const frames = framesFor(index);
  let sequence = 0;
  const send = () => {
    const jpeg = frames[sequence % frames.length] as Uint8Array;
    peer.ws.send(encodeVideoFrame(jpeg, Date.now(), sequence++));
  };
  send();
  timers.push(setInterval(send, 250));
}

interface LayoutFacts {
  layout: string | undefined;
  /** Width x height of the space for the tiles: from their top to the control bar's. */
  area: { width: number; height: number };
  /** The control bar's top edge. */
  barTop: number;
  tiles: { left: number; top: number; width: number; height: number; pinned: boolean }[];
}

function layoutFacts(page: Page): Promise<LayoutFacts> {
  return page.evaluate(() => {
    const container = document.getElementById("tiles") as HTMLElement;
    const box = container.getBoundingClientRect();
    const bar = (document.getElementById("room-controls") as HTMLElement).getBoundingClientRect();
    return {
      layout: container.dataset.layout,
      area: { width: box.width, height: bar.top - box.top },
      barTop: bar.top,
      tiles: [...container.querySelectorAll<HTMLElement>(".tile")].map((tile) => {
        const r = tile.getBoundingClientRect();
        return {
          left: r.left,
          top: r.top,
          width: r.width,
          height: r.height,
          pinned: tile.dataset.pinned === "true",
        };
      }),
    };
  });
}

const coverage = (facts: LayoutFacts) =>
  facts.tiles.reduce((sum, t) => sum + t.width * t.height, 0) /
  (facts.area.width * facts.area.height);

function overlaps(a: LayoutFacts["tiles"][number], b: LayoutFacts["tiles"][number]): boolean {
  return (
    a.left < b.left + b.width - 1 &&
    b.left < a.left + a.width - 1 &&
    a.top < b.top + b.height - 1 &&
    b.top < a.top + a.height - 1
  );
}

async function waitForTiles(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (count) => {
      const tiles = [...document.querySelectorAll<HTMLElement>("#tiles .tile")];
      return (
        tiles.length === count &&
        tiles.every((tile) => tile.dataset.self === "true" || Number(tile.dataset.frames) > 0)
      );
    },
    count,
    { timeout: 20_000, polling: 100 },
  );
  await Bun.sleep(400); // the tiles' move transition
}

browserTest(
  "1, 2, 4, 9 and 16 participants: tiles fill at least 60% of the space above the control bar",
  async () => {
    relay = await startRelay();
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await launchBrowser();
    const you: Participant = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`, {
      width: 1280,
      height: 720,
    });
    const { page } = you;
    await page.fill("#name-input", "maya");
    await page.click("#join-button");
    await page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
    await chooseCapture(page, { size: "320x240" });
    await page.click("#share-button");
    await page.waitForSelector('#app[data-camera="on"]', { timeout: 15_000 });
    // Your tile shows what it sends once it has two seconds to average over.
    await page.waitForSelector(".tile.self[data-fps]", { timeout: 15_000 });

    const measured: string[] = [];
    for (const count of [1, 2, 4, 9, 16]) {
      while (peers.length < count - 1) await addPeer(peers.length);
      await waitForTiles(page, count);
      const facts = await layoutFacts(page);
      const share = coverage(facts);
      measured.push(`${count}: ${(share * 100).toFixed(0)}%`);
      expect(facts.layout).toBe("grid");
      expect(facts.tiles).toHaveLength(count);
      expect(share, `${count} participants cover ${share}`).toBeGreaterThanOrEqual(0.6);
      // Inside the window and not on top of each other.
      for (const [i, tile] of facts.tiles.entries()) {
        expect(tile.left).toBeGreaterThanOrEqual(0);
        expect(tile.left + tile.width).toBeLessThanOrEqual(1280);
        // Above the control bar, never under it.
        expect(tile.top + tile.height).toBeLessThanOrEqual(facts.barTop + 0.5);
        for (const other of facts.tiles.slice(i + 1)) expect(overlaps(tile, other)).toBe(false);
      }
      // The count on the people button counts you too.
      expect(await page.textContent("#people-button")).toBe(
        `${count} ${count === 1 ? "person" : "people"}`,
      );
      if ([1, 2, 9].includes(count)) {
        const name = `screenshot-call-${count}.png`;
        await page.screenshot({ path: join(ARTIFACTS, name) });
        if (process.env.UPDATE_SCREENSHOT === "1")
          await page.screenshot({ path: join(DOCS, name) });
      }
    }
    console.log(`tiles cover ${measured.join(", ")} of the space above the control bar`);
    expect(you.errors).toEqual([]);
  },
  120_000,
);

browserTest(
  "a click pins a tile large, the others in a strip below; again, back to the grid",
  async () => {
    if (!relay) throw new Error("needs the room from the previous test");
    const browser = await launchBrowser();
    const viewer = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`, {
      width: 1280,
      height: 720,
    });
    const { page } = viewer;
    while (peers.length > 3) {
      const gone = peers.pop();
      gone?.close();
    }
    await page.fill("#name-input", "pat");
    await page.click("#join-button");
    await waitForTiles(page, 4); // maya and three peers; pat shares no camera
    await page.click("#tiles .tile:nth-child(2)");
    await Bun.sleep(400);
    const pinned = await layoutFacts(page);
    expect(pinned.layout).toBe("pinned");
    const big = pinned.tiles.find((tile) => tile.pinned);
    const strip = pinned.tiles.filter((tile) => !tile.pinned);
    expect(big).toBeDefined();
    expect(strip).toHaveLength(3);
    const area = pinned.area.width * pinned.area.height;
    expect(((big?.width ?? 0) * (big?.height ?? 0)) / area).toBeGreaterThan(0.45);
    for (const small of strip) {
      expect(small.top).toBeGreaterThanOrEqual((big?.top ?? 0) + (big?.height ?? 0));
      expect(small.width * small.height).toBeLessThan(((big?.width ?? 0) * (big?.height ?? 0)) / 4);
    }
    // A strip tile's click pins that one instead; the pinned one's click goes back to the grid.
    await page.click('#tiles .tile[data-pinned="false"] >> nth=0');
    await Bun.sleep(300);
    expect((await layoutFacts(page)).tiles.filter((tile) => tile.pinned)).toHaveLength(1);
    await page.click('#tiles .tile[data-pinned="true"]');
    await Bun.sleep(300);
    const grid = await layoutFacts(page);
    expect(grid.layout).toBe("grid");
    expect(grid.tiles.some((tile) => tile.pinned)).toBe(false);

    // Full screen: a tile's own button, and Escape (exitFullscreen) brings it back.
    await page.hover("#tiles .tile:nth-child(1)");
    await page.click("#tiles .tile:nth-child(1) .fullscreen");
    await page.waitForFunction(() => document.fullscreenElement?.classList.contains("tile"), null, {
      timeout: 5000,
    });
    await page.evaluate(() => document.exitFullscreen());
    await page.waitForFunction(() => document.fullscreenElement === null, null, { timeout: 5000 });
    // ... and the whole call, from the controls bar.
    await page.click("#fullscreen-button");
    await page.waitForFunction(() => document.fullscreenElement?.id === "app", null, {
      timeout: 5000,
    });
    // The button's label follows the fullscreenchange event, which lands just after the element.
    await page.waitForFunction(
      () => document.querySelector("#fullscreen-button")?.textContent === "Exit full screen",
      null,
      { timeout: 5000 },
    );
    await page.click("#fullscreen-button");
    await page.waitForFunction(() => document.fullscreenElement === null, null, { timeout: 5000 });
    expect(viewer.errors).toEqual([]);
  },
  60_000,
);

browserTest(
  "participant list, copy-link button and the quality slider's value",
  async () => {
    if (!relay) throw new Error("needs the room from the first test");
    const browser = await launchBrowser();
    const guest = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`, {
      width: 1280,
      height: 720,
    });
    const { page } = guest;
    await guest.context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: relay.httpUrl,
    });
    await page.fill("#name-input", "quinn");
    await page.click("#join-button");
    await page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll("#people li").length >= 5, null, {
      timeout: 10_000,
    });
    expect(await page.isVisible("#people")).toBe(false);
    await page.click("#people-button");
    const names = await page.$$eval("#people li", (items) => items.map((item) => item.textContent));
    expect(names[0]).toBe("quinn (you)");
    expect(names).toContain("maya");
    // pat shares no camera: listed, with no tile (web/watch/tile-grid.ts).
    expect(names).toContain("pat (not sending)");
    expect(await page.textContent("#people-button")).toBe(`${names.length} people`);

    // The room link works on this open relay: offered, and copied by the button.
    const link = `${relay.httpUrl}/r/${ROOM}`;
    expect(await page.getAttribute("#room-link", "href")).toBe(link);
    await page.click("#copy-link-button");
    await page.waitForSelector('#copy-link-button[data-copied="true"]', { timeout: 5000 });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

    // The quality slider (in the Settings panel) shows its value as it moves.
    await openSettings(page);
    expect(await page.textContent("#quality-value")).toBe("70%");
    await page.fill("#quality-input", "0.5");
    expect(await page.textContent("#quality-value")).toBe("50%");
    expect(guest.errors).toEqual([]);
  },
  60_000,
);

browserTest(
  "camera choice from enumerateDevices and a preview before joining; you join with it on",
  async () => {
    if (!relay) throw new Error("needs the relay from the first test");
    const browser = await launchBrowser();
    const newcomer = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`, {
      width: 1280,
      height: 720,
    });
    const { page } = newcomer;
    await page.waitForSelector("#camera-select option", { state: "attached" });
    await page.click("#preview-button");
    await page.waitForSelector('#preview[data-camera="on"]', { timeout: 15_000 });
    // Playing, with real pixels.
    await page.waitForFunction(
      () => (document.getElementById("preview-video") as HTMLVideoElement).videoWidth > 0,
      null,
      { timeout: 10_000 },
    );
    // Once a camera is open, the list names the cameras enumerateDevices reports.
    const options = await page.$$eval("#camera-select option", (items) =>
      items.map((item) => ({ value: (item as HTMLOptionElement).value, label: item.textContent })),
    );
    const cameras = options.filter((option) => option.value !== "");
    expect(cameras.length).toBeGreaterThan(0);
    expect(cameras[0]?.label).not.toBe("");
    await page.selectOption("#camera-select", cameras[0]?.value ?? "");
    await page.waitForSelector('#preview[data-camera="on"]', { timeout: 15_000 });
    await page.fill("#name-input", "rae");
    await page.click("#join-button");
    await page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
    // The previewed camera is shared at once; the in-call list has the same choice selected.
    await page.waitForSelector('#app[data-camera="on"]', { timeout: 5000 });
    await page.waitForFunction(
      () => Number((document.querySelector(".tile.self") as HTMLElement | null)?.dataset.sent) > 0,
      null,
      { timeout: 15_000 },
    );
    expect(await page.inputValue("#call-camera-select")).toBe(cameras[0]?.value ?? "");
    expect(newcomer.errors).toEqual([]);
  },
  60_000,
);
