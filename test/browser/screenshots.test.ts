// The call as people see it, in real Chromium at 1280x720 and on a phone (390x844), with one,
// four and nine people (you with the fake camera, the others raw peers sending JPEG frames) and
// with the chat open. Checks what a screenshot shows: the control bar is one row at the bottom,
// every control shows an icon or a label (no empty emoji box), the tiles start right under the
// header, and on the phone your own view is a small overlay in the corner. Screenshots go to
// artifacts/ (and to docs/screenshot-WIDTH-*.png with UPDATE_SCREENSHOT=1).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { encodeChat } from "../../protocol/index.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { sendFrames } from "../support/jpeg-sender.ts";
import { TestPeer } from "../support/peer.ts";
import { chooseCapture, joinAs, openPage } from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts");
const DOCS = join(import.meta.dir, "..", "..", "docs");
const NAMES = ["ben", "chloé", "dev", "eli", "fay", "gus", "hana", "ivo"];
/** More empty space than this between the header (and its notices) and the first tile is a band. */
const MAX_BAND_PX = 24;
/** A one-row bar: icon, label and padding. */
const MAX_BAR_HEIGHT_PX = 90;

let relay: SpawnedRelay | null = null;
const peers: TestPeer[] = [];
const stops: (() => void)[] = [];

afterAll(async () => {
  for (const stop of stops) stop();
  for (const peer of peers) peer.close();
  await closeAllBrowsers();
  await relay?.stop();
});

interface Shot {
  viewport: { width: number; height: number };
  bar: { top: number; bottom: number; height: number; rowTops: number[] };
  /** Visible buttons that show neither a label nor an icon, or show an emoji. */
  emptyButtons: string[];
  band: number;
  tiles: { self: boolean; left: number; top: number; width: number; height: number; z: string }[];
}

function measure(page: Page): Promise<Shot> {
  return page.evaluate(() => {
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
    };
    const bar = document.getElementById("room-controls") as HTMLElement;
    const barBox = bar.getBoundingClientRect();
    const barButtons = [...bar.querySelectorAll("button")].filter(visible);
    const emoji = /\p{Extended_Pictographic}/u;
    const emptyButtons = [...document.querySelectorAll("button")]
      .filter(visible)
      .filter((button) => {
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point here
        const text = (button as HTMLElement).innerText.trim();
        const icon = [...button.querySelectorAll("svg")].some(visible);
        return emoji.test(button.textContent ?? "") || (text === "" && !icon);
      })
      .map((button) => button.id || button.className);
    // The lowest visible thing above the tiles: the header, a notice, "Nobody else is here yet".
    const tilesArea = document.getElementById("tiles") as HTMLElement;
    let above = 0;
    for (const child of (document.getElementById("app") as HTMLElement).children) {
      if (child === tilesArea) break;
      if (visible(child) && getComputedStyle(child).position !== "fixed")
        above = Math.max(above, child.getBoundingClientRect().bottom);
    }
    const tiles = [...tilesArea.querySelectorAll<HTMLElement>(".tile")].map((tile) => {
      const r = tile.getBoundingClientRect();
      return {
        self: tile.dataset.self === "true",
        left: r.left,
        top: r.top,
        width: r.width,
        height: r.height,
        z: getComputedStyle(tile).zIndex,
      };
    });
    const firstTop = Math.min(
      ...tiles.filter((t) => !t.self || tiles.length === 1).map((t) => t.top),
    );
    return {
      viewport: { width: innerWidth, height: innerHeight },
      bar: {
        top: barBox.top,
        bottom: barBox.bottom,
        height: barBox.height,
        rowTops: [...new Set(barButtons.map((b) => Math.round(b.getBoundingClientRect().top)))],
      },
      emptyButtons,
      band: firstTop - above,
      tiles,
    };
  });
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
  await Bun.sleep(500); // the tiles' move transition, a few more frames
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, name) });
  if (process.env.UPDATE_SCREENSHOT === "1") await page.screenshot({ path: join(DOCS, name) });
}

function checkShot(shot: Shot, count: number, label: string): void {
  const { viewport, bar } = shot;
  expect(shot.emptyButtons, `${label}: buttons with no icon and no label`).toEqual([]);
  // The bar: one row, at the very bottom, inside the window.
  expect(bar.rowTops, `${label}: bar rows`).toHaveLength(1);
  expect(bar.height).toBeLessThan(MAX_BAR_HEIGHT_PX);
  expect(bar.bottom).toBeLessThanOrEqual(viewport.height + 0.5);
  expect(bar.bottom).toBeGreaterThan(viewport.height - 2);
  expect(shot.tiles).toHaveLength(count);
  const phone = viewport.width < 560;
  for (const tile of shot.tiles) {
    expect(tile.left).toBeGreaterThanOrEqual(0);
    expect(tile.left + tile.width).toBeLessThanOrEqual(viewport.width + 0.5);
    expect(tile.top + tile.height, `${label}: a tile under the bar`).toBeLessThanOrEqual(
      bar.top + 0.5,
    );
  }
  // No empty band between the header (with its notices) and the tiles.
  expect(shot.band, `${label}: band above tiles`).toBeLessThanOrEqual(MAX_BAND_PX);
  if (phone && count > 1) {
    // Your own view: a small overlay over the others, in the bottom-right corner.
    const self = shot.tiles.find((tile) => tile.self);
    const others = shot.tiles.filter((tile) => !tile.self);
    expect(self).toBeDefined();
    expect((self?.width ?? 0) / viewport.width).toBeLessThan(0.4);
    expect(self?.z).toBe("5");
    expect((self?.left ?? 0) + (self?.width ?? 0)).toBeGreaterThan(viewport.width - 24);
    expect((self?.top ?? 0) + (self?.height ?? 0)).toBeGreaterThan(bar.top - 24);
    for (const other of others) expect(other.width).toBeGreaterThan(150);
  }
}

for (const viewport of [
  { width: 1280, height: 720 },
  { width: 390, height: 844 },
]) {
  browserTest(
    `${viewport.width}x${viewport.height}: one, four and nine people, then chat open`,
    async () => {
      relay ??= await startRelay();
      const room = `shots-${viewport.width}`;
      mkdirSync(ARTIFACTS, { recursive: true });
      const browser = await launchBrowser();
      const you = await openPage(browser, `${relay.httpUrl}/r/${room}`, viewport);
      const { page } = you;
      await joinAs(page, "maya");
      await chooseCapture(page, { size: "320x240", fps: "10" });
      await page.click("#share-button");
      await page.waitForSelector('#app[data-camera="on"]', { timeout: 15_000 });
      await page.waitForSelector(".tile.self[data-fps]", { timeout: 15_000 });
      const roomPeers: TestPeer[] = [];
      const facts: string[] = [];
      for (const count of [1, 4, 9]) {
        while (roomPeers.length < count - 1) {
          const peer = await TestPeer.join(relay.wsUrl, room, NAMES[roomPeers.length] as string);
          peers.push(peer);
          roomPeers.push(peer);
          stops.push(sendFrames(peer, 5, roomPeers.length * 7));
        }
        await waitForTiles(page, count);
        await page.mouse.move(0, 0);
        const shot = await measure(page);
        facts.push(`${count}: bar ${shot.bar.height}px, band ${shot.band.toFixed(0)}px`);
        await shoot(page, `screenshot-${viewport.width}-${count}.png`);
        checkShot(shot, count, `${viewport.width}px, ${count} people`);
      }
      // The chat open, with a line from someone else and one of yours.
      roomPeers[0]?.ws.send(encodeChat({ text: "Slides are in the shared folder, page 4" }));
      await page.click("#chat-button");
      await page.fill(".chat-input", "Thanks, opening them now");
      await page.press(".chat-input", "Enter");
      await page.waitForFunction(
        () => document.querySelectorAll("#chat .chat-body").length >= 2,
        null,
        {
          timeout: 10_000,
        },
      );
      await Bun.sleep(400); // the tiles' move transition
      const chat = await measure(page);
      if (viewport.width >= 900) {
        // A wide screen gives the chat its own column: no tile hides behind it.
        const chatLeft = await page.$eval("#chat", (panel) => panel.getBoundingClientRect().left);
        for (const tile of chat.tiles) expect(tile.left + tile.width).toBeLessThanOrEqual(chatLeft);
      }
      await shoot(page, `screenshot-${viewport.width}-chat.png`);
      checkShot(chat, 9, `${viewport.width}px, chat open`);
      // The settings panel opens above the bar, with the capture settings in it.
      await page.click("#settings-button");
      await page.waitForSelector("#size-select", { state: "visible", timeout: 5000 });
      const settings = await page.evaluate(() => ({
        panel: (document.getElementById("settings") as HTMLElement).getBoundingClientRect().bottom,
        bar: (document.getElementById("room-controls") as HTMLElement).getBoundingClientRect().top,
      }));
      expect(settings.panel).toBeLessThanOrEqual(settings.bar);
      await page.screenshot({ path: join(ARTIFACTS, `screenshot-${viewport.width}-settings.png`) });
      await page.keyboard.press("Escape");
      expect(await page.isHidden("#settings")).toBe(true);
      console.log(`${viewport.width}px: ${facts.join("; ")}`);
      for (const peer of roomPeers) peer.close();
      expect(you.errors).toEqual([]);
    },
    120_000,
  );
}
