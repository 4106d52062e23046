// The page's H.264 (docs/BROWSER.md, "Video codec"): two pages send each other WebCodecs H.264 at
// 640x480@15 and every tile keeps up; what a page receives per frame is at most half of what the
// same page sends as JPEG (a JPEG-only peer in the room makes it send both, from one canvas
// grab); a page without VideoEncoder falls back to JPEG; 30 receivers joining within a second
// cost a page sender at most 3 key frames; and a mixed room (H.264 pages, a v1 peer that
// didn't declare codecs=h264, an old-protocol client) where everyone sees everyone.
import { afterAll, afterEach, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  encodeVideoFrame,
  FrameKind,
  framePayload,
  isKeyFrame,
  LEGACY_ROOM,
  readSenderId,
} from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { perFrame, recordFrames } from "../support/page-frames.ts";
import { TestPeer } from "../support/peer.ts";
import {
  appData,
  framesByName,
  joinAs,
  openPage,
  type Participant,
  waitForRemoteTiles,
} from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
let relay: SpawnedRelay | null = null;
const peers: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  await closeAllBrowsers();
  await relay?.stop();
  relay = null;
});
afterAll(closeAllBrowsers);

async function share(page: Page, size: string, fps: string, layers = "1"): Promise<void> {
  await page.selectOption("#size-select", size);
  await page.selectOption("#fps-select", fps);
  await page.selectOption("#layers-select", layers);
  await page.click("#share-button");
  await page.waitForSelector('#app[data-camera="on"]', { timeout: 15_000 });
}

function selfData(page: Page): Promise<Record<string, string | undefined>> {
  return page.$eval(".tile.self", (tile) => ({ ...(tile as HTMLElement).dataset }));
}

/** Waits until the page's own tile says it sends `codec` ("h264", "jpeg", "h264+jpeg"). */
async function waitForSending(page: Page, codec: string, timeoutMs = 20_000): Promise<void> {
  try {
    await page.waitForSelector(`.tile.self[data-codec="${codec}"]`, { timeout: timeoutMs });
  } catch {
    throw new Error(`page does not send ${codec}: self ${JSON.stringify(await selfData(page))}`);
  }
}

/** Waits until `page`'s tile of `name` shows frames of `codec`. */
async function waitForCodec(page: Page, name: string, codec: string): Promise<void> {
  await page.waitForSelector(`#tiles .tile[data-name="${name}"][data-codec="${codec}"]`, {
    timeout: 20_000,
  });
}

async function openJoined(
  browser: Browser,
  room: string,
  name: string,
  initScript?: () => void,
): Promise<Participant & { frames: ReturnType<typeof recordFrames> }> {
  const url = `${(relay as SpawnedRelay).httpUrl}/r/${room}`;
  if (!initScript) {
    const participant = await openPage(browser, "about:blank");
    const frames = recordFrames(participant.page);
    await participant.page.goto(url, { timeout: 15_000 });
    await joinAs(participant.page, name);
    return { ...participant, frames };
  }
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  await context.addInitScript(initScript);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  const frames = recordFrames(page);
  await page.goto(url, { timeout: 15_000 });
  await joinAs(page, name);
  return { context, page, errors, frames };
}

browserTest(
  "two pages send H.264 at 640x480@15: every tile ≥ 12 fps, ≤ 1/2 of the page's JPEG bytes per frame",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser();
    const room = "h264-pair";
    const a = await openJoined(browser, room, "alice");
    const b = await openJoined(browser, room, "bob");
    await share(a.page, "640x480", "15");
    await share(b.page, "640x480", "15");
    expect((await appData(a.page)).videoCodec).toBe("h264");
    // Each is the other's H.264 receiver: kind 4 only (nobody needs JPEG).
    await waitForSending(a.page, "h264");
    await waitForSending(b.page, "h264");
    await waitForRemoteTiles(a.page, ["bob"], 15, 30_000);
    await waitForRemoteTiles(b.page, ["alice"], 15, 30_000);
    await waitForCodec(a.page, "bob", "h264");
    await waitForCodec(b.page, "alice", "h264");

    const WINDOW_MS = 6000;
    const before = [await framesByName(a.page), await framesByName(b.page)];
    const from = Date.now();
    await Bun.sleep(WINDOW_MS);
    const to = Date.now();
    const after = [await framesByName(a.page), await framesByName(b.page)];
    const seconds = (to - from) / 1000;
    const fpsA = ((after[0]?.get("bob") ?? 0) - (before[0]?.get("bob") ?? 0)) / seconds;
    const fpsB = ((after[1]?.get("alice") ?? 0) - (before[1]?.get("alice") ?? 0)) / seconds;
    const bobId = Number((await appData(b.page)).selfId);
    const h264In = perFrame(
      a.frames.received,
      { kind: FrameKind.VideoH264, sender: bobId },
      from,
      to,
    );
    console.log(
      `H.264 640x480@15: alice shows bob at ${fpsA.toFixed(1)} fps, bob shows alice at ${fpsB.toFixed(1)} fps; ` +
        `alice receives ${h264In.count} H.264 frames, ${h264In.bytesPerFrame.toFixed(0)} bytes per frame`,
    );
    expect(fpsA).toBeGreaterThanOrEqual(12);
    expect(fpsB).toBeGreaterThanOrEqual(12);

    // A v1 peer that decodes only JPEG joins: both pages now send JPEG as well, from the same
    // grab. Alice's own JPEG frames are what she would send without H.264.
    const jpegOnly = await TestPeer.join(relay.wsUrl, room, "jpeg-only");
    peers.push(jpegOnly);
    await waitForSending(a.page, "h264+jpeg");
    await waitForSending(b.page, "h264+jpeg");
    const from2 = Date.now();
    await Bun.sleep(4000);
    const to2 = Date.now();
    const jpegOut = perFrame(a.frames.sent, { kind: FrameKind.VideoJpeg, layer: 0 }, from2, to2);
    const h264In2 = perFrame(
      a.frames.received,
      { kind: FrameKind.VideoH264, sender: bobId },
      from2,
      to2,
    );
    const ratio = h264In2.bytesPerFrame / jpegOut.bytesPerFrame;
    console.log(
      `alice sends JPEG ${jpegOut.bytesPerFrame.toFixed(0)} bytes per frame (${jpegOut.count} frames); ` +
        `receives H.264 ${h264In2.bytesPerFrame.toFixed(0)} bytes per frame (${h264In2.count}): ${(ratio * 100).toFixed(0)}%`,
    );
    expect(jpegOut.count).toBeGreaterThan(20);
    expect(h264In2.count).toBeGreaterThan(20);
    expect(ratio).toBeLessThanOrEqual(0.5);
    // The JPEG-only peer sees both pages, as JPEG.
    const jpegSenders = new Set(
      jpegOnly.binary.filter((m) => m[1] === FrameKind.VideoJpeg).map((m) => readSenderId(m)),
    );
    expect(jpegOnly.binary.some((m) => m[1] === FrameKind.VideoH264)).toBe(false);
    expect(jpegSenders.size).toBe(2);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  },
  120_000,
);
