// Screen sharing in real Chromium (docs/BROWSER.md, "Screen sharing"): page A shares a screen;
// page B shows it pinned and large, labelled "ana's screen", the cameras in the strip, and what
// B draws at full size is legible: SSIM >= 0.9 against the source surface (ffmpeg's ssim filter
// on two PNGs). A stops; B's layout returns to the grid. The browser's own "Stop sharing" (the
// track's ended event) ends it too. Once with H.264 (the pages' default here), once with JPEG.
//
// The "screen" is a page-rendered canvas (1280x720, known text), returned by getDisplayMedia
// through an init script: headless Chromium's fake capture (--use-fake-ui-for-media-stream with
// --auto-select-desktop-capture-source) has no desktop to capture, and a known surface is what
// the comparison needs anyway.
import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { FFMPEG } from "../../harness/tools.ts";
import {
  FrameKind,
  generateRoomKey,
  isEncryptedFrame,
  readSenderId,
  roomUrl,
  writeAckFor,
} from "../../protocol/index.ts";
import { killAllClients, probe, runClient } from "../fixtures/client/run-client.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { TestPeer } from "../support/peer.ts";
import { joinAs, openPage, type Participant, shareCamera } from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts");
const DOCS = join(import.meta.dir, "..", "..", "docs");
let relay: SpawnedRelay | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await killAllClients();
  await closeAllBrowsers();
  await relay?.stop();
  relay = null;
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** getDisplayMedia → a 1280x720 canvas of text, repainted (same pixels) so the track keeps going. */
function fakeScreen() {
  const canvas = document.createElement("canvas");
  canvas.width = 1280;
  canvas.height = 720;
  const context = canvas.getContext("2d") as CanvasRenderingContext2D;
  const paint = () => {
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, 1280, 720);
    context.fillStyle = "#1a1a1a";
    context.font = "bold 40px sans-serif";
    context.fillText("Quarterly report: screen sharing", 60, 90);
    context.font = "22px sans-serif";
    const lines = [
      "The quick brown fox jumps over the lazy dog. 0123456789",
      "Revenue grew 12.5% to 4,210 units; churn fell to 1.8%.",
      "function share(track) { track.contentHint = 'detail'; }",
      "Pack my box with five dozen liquor jugs! (a-z, A-Z, @#%&)",
    ];
    lines.forEach((line, i) => {
      context.fillText(line, 60, 170 + i * 44);
    });
    context.font = "16px monospace";
    for (let i = 0; i < 12; i++) {
      context.fillText(
        `${String(i + 1).padStart(2, "0")}  const row${i} = compute(${i * 17}, "cell");`,
        60,
        380 + i * 26,
      );
    }
    context.fillStyle = "#2060c0";
    context.fillRect(900, 380, 300, 200);
    context.fillStyle = "#ffffff";
    context.font = "bold 28px sans-serif";
    context.fillText("Q3: +12.5%", 950, 490);
  };
  paint();
  setInterval(paint, 100);
  const state = window as unknown as {
    screenCanvas: HTMLCanvasElement;
    screenTrack?: MediaStreamTrack;
  };
  state.screenCanvas = canvas;
  navigator.mediaDevices.getDisplayMedia = async () => {
    const stream = canvas.captureStream(10);
    state.screenTrack = stream.getVideoTracks()[0];
    return stream;
  };
}

async function openWithScreen(url: string): Promise<Participant> {
  const browser = await launchBrowser();
  const participant = await openPage(browser, url, { width: 1280, height: 720 });
  await participant.context.addInitScript(fakeScreen);
  await participant.page.reload();
  return participant;
}

type Data = Record<string, string | undefined>;
const tilesData = (page: Page): Promise<{ data: Data; width: number }> =>
  page.$eval("#tiles", (tiles) => ({
    data: { ...(tiles as HTMLElement).dataset },
    width: (tiles as HTMLElement).clientWidth,
  }));

const shareTile = (page: Page): Promise<{ data: Data; width: number; label: string }> =>
  page.$eval('#tiles .tile[data-source="screen"]', (tile) => {
    const box = tile.getBoundingClientRect();
    return {
      data: { ...(tile as HTMLElement).dataset },
      width: box.width,
      label: tile.querySelector(".label")?.textContent ?? "",
    };
  });

/** SSIM (All) of two same-size PNGs, from ffmpeg's ssim filter. */
function ssim(a: string, b: string): number {
  const run = Bun.spawnSync([
    FFMPEG,
    "-hide_banner",
    "-i",
    a,
    "-i",
    b,
    "-lavfi",
    "ssim",
    "-f",
    "null",
    "-",
  ]);
  const match = /All:([0-9.]+)/.exec(run.stderr.toString());
  if (!match) throw new Error(`no SSIM in ffmpeg's output: ${run.stderr.toString().slice(-500)}`);
  return Number(match[1]);
}

function savePng(dataUrl: string, path: string): void {
  writeFileSync(path, Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ""), "base64"));
}

async function shareAndCompare(
  codec: "h264" | "jpeg",
  beforeShare: (room: string) => Promise<void> = async () => {},
  /** An end-to-end encrypted room: its key goes in the pages' link (#key=). */
  roomKey: string | null = null,
) {
  relay = await startRelay();
  const dir = mkdtempSync(join(tmpdir(), "framecast-screen-"));
  dirs.push(dir);
  const room = `screen-${codec}${roomKey ? "-e2ee" : ""}`;
  const query = codec === "jpeg" ? "?codec=jpeg" : "";
  const pageUrl = roomKey
    ? `${relay.httpUrl}/r/${room}${query}#key=${roomKey}`
    : `${relay.httpUrl}/${query}`;
  const a = await openWithScreen(pageUrl);
  const b = await openWithScreen(pageUrl);
  await joinAs(a.page, "ana", room);
  await shareCamera(a.page, "320x240", "10");
  await joinAs(b.page, "ben", room);
  await shareCamera(b.page, "320x240", "10");
  await b.page.waitForSelector('#tiles .tile[data-name="ana"][data-has-video="true"]', {
    timeout: 30_000,
  });
  expect((await tilesData(b.page)).data.layout).toBe("grid");

  await beforeShare(room);
  await a.page.waitForSelector("#screen-button:not([disabled])", { timeout: 10_000 });
  await a.page.click("#screen-button");
  await a.page.waitForSelector('#app[data-screen="on"]', { timeout: 10_000 });
  // B: the share appears, pinned, large, named after its sharer; frames keep coming.
  await b.page.waitForFunction(
    () =>
      Number(document.querySelector<HTMLElement>('.tile[data-source="screen"]')?.dataset.frames) >=
      8,
    null,
    { timeout: 40_000 },
  );
  const tile = await shareTile(b.page);
  const layout = await tilesData(b.page);
  expect(layout.data.layout).toBe("pinned");
  expect(tile.data.pinned).toBe("true");
  expect(tile.label).toContain("ana's screen");
  // The stage: over half the width at 1280x720 (its height is what's left below the controls),
  // each camera a small tile in the strip.
  expect(tile.width).toBeGreaterThan(0.5 * layout.width);
  const cameras = await b.page.$$eval('#tiles .tile:not([data-source="screen"])', (tiles) =>
    tiles.map((t) => t.getBoundingClientRect().width),
  );
  expect(cameras.length).toBe(2);
  for (const width of cameras) expect(width).toBeLessThan(tile.width / 3);
  expect(tile.data.codec).toBe(codec);
  // A doesn't get a tile of its own share, and the people list doesn't list it.
  expect(await a.page.$$('#tiles .tile[data-source="screen"]')).toHaveLength(0);

  // Legible: B's picture at full size against the surface A shared.
  const source = await a.page.evaluate(() =>
    (window as unknown as { screenCanvas: HTMLCanvasElement }).screenCanvas.toDataURL("image/png"),
  );
  const received = await b.page.$eval('.tile[data-source="screen"] canvas', (canvas) => ({
    png: (canvas as HTMLCanvasElement).toDataURL("image/png"),
    width: (canvas as HTMLCanvasElement).width,
    height: (canvas as HTMLCanvasElement).height,
  }));
  expect([received.width, received.height]).toEqual([1280, 720]);
  savePng(source, join(dir, "source.png"));
  savePng(received.png, join(dir, "received.png"));
  const score = ssim(join(dir, "source.png"), join(dir, "received.png"));
  const before = await shareTile(b.page);
  await Bun.sleep(4000);
  const after = await shareTile(b.page);
  const fps = (Number(after.data.frames) - Number(before.data.frames)) / 4;
  const bytesPerFrame = Number(after.data.bytes) / Math.max(1, Number(after.data.received));
  console.log(
    `${codec}: SSIM ${score.toFixed(4)} at 1280x720, ${fps.toFixed(1)} fps, ${Math.round(bytesPerFrame / 1024)} kB per share frame`,
  );
  expect(score).toBeGreaterThanOrEqual(0.9);
  expect(fps).toBeGreaterThan(2);
  return { a, b };
}

async function expectLayoutBack(page: Page) {
  await page.waitForFunction(
    () => document.querySelector('.tile[data-source="screen"]') === null,
    null,
    { timeout: 15_000 },
  );
  const layout = await tilesData(page);
  expect(layout.data.layout).toBe("grid");
  expect(layout.data.count).toBe("2");
}

browserTest(
  "H.264: B shows A's screen pinned, large and legible; A stops; B's layout returns",
  async () => {
    // A CLI in the room records the share as its own file (as sent: H.264).
    const recordDir = mkdtempSync(join(tmpdir(), "framecast-screen-rec-"));
    dirs.push(recordDir);
    let recorder: ReturnType<typeof runClient> | null = null;
    const { a, b } = await shareAndCompare("h264", async (room) => {
      const cli = ["--relay", (relay as SpawnedRelay).wsUrl, "--room", room, "--no-send"];
      recorder = runClient([...cli, "--no-audio", "--name", "rec", "--record", recordDir]);
      await recorder.waitFor(/joined room/);
    });
    // What B sees at 1280x720: artifacts/, and docs/ with UPDATE_SCREENSHOT=1.
    mkdirSync(ARTIFACTS, { recursive: true });
    await b.page.screenshot({ path: join(ARTIFACTS, "screenshot-share.png") });
    if (process.env.UPDATE_SCREENSHOT === "1") {
      await b.page.screenshot({ path: join(DOCS, "screenshot-share.png") });
    }
    // On a phone (390x844) the share still fills the width above the bar.
    await b.page.setViewportSize({ width: 390, height: 844 });
    await Bun.sleep(800);
    const phone = await b.page.evaluate(() => {
      const box = document
        .querySelector('#tiles .tile[data-source="screen"]')
        ?.getBoundingClientRect();
      const bar = document.querySelector("#room-controls")?.getBoundingClientRect();
      return box ? { width: box.width, bottom: box.bottom, barTop: bar?.top ?? 844 } : null;
    });
    expect(phone?.width).toBeGreaterThan(300);
    expect(phone?.bottom).toBeLessThanOrEqual((phone?.barTop ?? 0) + 1);
    await b.page.screenshot({ path: join(ARTIFACTS, "screenshot-390-share.png") });
    if (process.env.UPDATE_SCREENSHOT === "1") {
      await b.page.screenshot({ path: join(DOCS, "screenshot-390-share.png") });
    }
    await b.page.setViewportSize({ width: 1280, height: 720 });
    await Bun.sleep(500);
    // Unpinnable like any tile (a click), and not pinned again behind your back; pinned again on a click.
    await b.page.click('#tiles .tile[data-source="screen"]');
    await Bun.sleep(1000);
    expect((await tilesData(b.page)).data.layout).toBe("grid");
    expect((await shareTile(b.page)).data.pinned).toBe("false");
    await b.page.click('#tiles .tile[data-source="screen"]');
    await b.page.waitForSelector(
      '#tiles[data-layout="pinned"] .tile[data-source="screen"][data-pinned="true"]',
    );
    // The people list lists people (ben, ana and the CLI), not ana's share.
    expect(await b.page.$$eval("#people li", (items) => items.length)).toBe(3);
    const cli = recorder as unknown as ReturnType<typeof runClient>;
    await cli.waitFor(/recording ana-screen to /, 20_000);
    await Bun.sleep(2000);
    await a.page.click("#screen-button");
    await a.page.waitForSelector('#app[data-screen="off"]', { timeout: 10_000 });
    await expectLayoutBack(b.page);
    await cli.waitFor(/ana-screen #\d+ left/, 10_000);
    expect(await cli.stop("SIGINT")).toBe(0);
    const file = readdirSync(recordDir).find((f) => /^ana-screen-\d+\.mkv$/.test(f));
    expect(file).toBeDefined();
    const path = join(recordDir, file as string);
    const info = probe(path);
    expect([info.width, info.height]).toEqual([1280, 720]);
    expect(info.frames).toBeGreaterThan(5);
    const check = Bun.spawnSync([FFMPEG, "-v", "error", "-i", path, "-f", "null", "-"]);
    expect(check.stderr.toString()).toBe("");
    console.log(`CLI recording of the page's share: ${info.frames} frames at 1280x720, clean`);
    expect(a.errors.filter((e) => !e.includes("favicon"))).toEqual([]);
  },
  120_000,
);

browserTest(
  "JPEG: legible too; the browser's own Stop sharing (track ended) ends the share",
  async () => {
    const { a, b } = await shareAndCompare("jpeg");
    await a.page.evaluate(() => {
      const track = (window as unknown as { screenTrack: MediaStreamTrack }).screenTrack;
      // What Chromium's "Stop sharing" bar does: the track ends and fires "ended".
      track.stop();
      track.dispatchEvent(new Event("ended"));
    });
    await a.page.waitForSelector('#app[data-screen="off"]', { timeout: 10_000 });
    await expectLayoutBack(b.page);
  },
  120_000,
);

browserTest(
  "an encrypted room: B with the key sees the share legibly; a receiver without it gets sealed bytes only",
  async () => {
    const key = generateRoomKey();
    let outsider: TestPeer | null = null;
    const { b } = await shareAndCompare(
      "h264",
      async (room) => {
        outsider = await TestPeer.joinWith(
          roomUrl((relay as SpawnedRelay).wsUrl, room, { name: "eve", ack: true, shares: true }),
        );
        const peer = outsider;
        // Acks every frame, so the window stays open: it gets everything it may get.
        peer.ws.addEventListener("message", (event) => {
          if (typeof event.data === "string") return;
          const frame = new Uint8Array(event.data as ArrayBuffer);
          if (frame[1] === FrameKind.Audio) return;
          const ack = new Uint8Array(20);
          writeAckFor(ack, frame);
          peer.ws.send(ack);
        });
      },
      key,
    );
    const eve = outsider as unknown as TestPeer;
    const share = eve.controls.find((c) => c.type === "join" && c.peer.source === "screen");
    expect(share).toBeDefined();
    const shareId = (share as { peer: { id: number } }).peer.id;
    const frames = eve.binary.filter((f) => readSenderId(f) === shareId);
    expect(frames.length).toBeGreaterThan(3);
    // Every frame of the share is sealed: the relay relayed what it can't read.
    expect(frames.every((f) => isEncryptedFrame(f))).toBe(true);
    expect(
      await b.page.$eval('.tile[data-source="screen"]', (t) => (t as HTMLElement).dataset.e2ee),
    ).toBe("ok");
    eve.close();
  },
  120_000,
);
