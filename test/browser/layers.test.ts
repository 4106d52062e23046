// Layers in a real room (docs/PROTOCOL.md, "Layers"): 9 participants, 3 Chromium pages and 6 CLI
// test sources sending 1280x720 in three layers, and one more page, 1280x720, only watching the
// grid. Its tiles are far smaller than the senders' pictures, so it asks for small layers: it
// must receive at most 40% of the bytes of the full layers sent meanwhile (what it would get
// without layers: the relay's bytes in of layer 0), and every tile must keep updating.
import { afterAll, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import {
  chooseCapture,
  framesByName,
  joinAs,
  openPage,
  waitForRemoteTiles,
} from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
const ROOM = "layers-grid";
const FPS = "5";
let relay: SpawnedRelay | null = null;

afterAll(async () => {
  await closeAllBrowsers();
  await killAllClients();
  await relay?.stop();
});

async function fullLayerBytesIn(httpUrl: string): Promise<number> {
  const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
  const match = /framecast_layer_bytes_in_total\{layer="0"\} (\d+)/.exec(metrics);
  return Number(match?.[1] ?? Number.NaN);
}

browserTest(
  "a grid page gets small layers: at most 40% of the full layers' bytes, every tile updating",
  async () => {
    relay = await startRelay();
    const cliNames = ["cli-1", "cli-2", "cli-3", "cli-4", "cli-5"];
    for (const name of cliNames) {
      runClient(
        ["--source", "test", "--relay", relay.wsUrl, "--room", ROOM, "--name", name].concat([
          "--size",
          "1280x720",
          "--layers",
          "1280x720,640x360,320x180",
          "--fps",
          FPS,
        ]),
      );
    }
    const browser = await launchBrowser();
    const pageNames = ["page-1", "page-2", "page-3"];
    for (const name of pageNames) {
      const { page } = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`);
      await joinAs(page, name);
      await chooseCapture(page, { size: "1280x720", fps: FPS, layers: "3" });
      await page.click("#share-button");
      await page.waitForSelector('#app[data-camera="on"]', { timeout: 15_000 });
    }
    const viewer = await openPage(browser, `${relay.httpUrl}/r/${ROOM}`, {
      width: 1280,
      height: 720,
    });
    await joinAs(viewer.page, "viewer");
    const senders = [...cliNames, ...pageNames];
    await waitForRemoteTiles(viewer.page, senders, 5, 60_000);
    // Every tile now gets a layer smaller than the full one.
    await viewer.page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>("#tiles .tile[data-peer-id]")].every(
          (tile) => tile.dataset.layer !== undefined && tile.dataset.layer !== "0",
        ),
      undefined,
      { timeout: 20_000, polling: 200 },
    );

    const bytesOf = () =>
      viewer.page.$eval("#tiles", (tiles) => Number((tiles as HTMLElement).dataset.bytesReceived));
    const framesBefore = await framesByName(viewer.page);
    const [viewerBefore, fullBefore] = [await bytesOf(), await fullLayerBytesIn(relay.httpUrl)];
    await Bun.sleep(8000);
    const [viewerAfter, fullAfter] = [await bytesOf(), await fullLayerBytesIn(relay.httpUrl)];
    const framesAfter = await framesByName(viewer.page);
    const ratio = (viewerAfter - viewerBefore) / (fullAfter - fullBefore);
    console.log(
      `grid page received ${((viewerAfter - viewerBefore) / 1000).toFixed(0)} kB; full layers ` +
        `sent meanwhile ${((fullAfter - fullBefore) / 1000).toFixed(0)} kB: ${(ratio * 100).toFixed(1)}%`,
    );
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(0.4);
    for (const name of senders) {
      expect(framesAfter.get(name) ?? 0).toBeGreaterThan(framesBefore.get(name) ?? 0);
    }
    // What three layers cost a page's uplink (the fake camera: a smooth, camera-like picture).
    const sender = browser.contexts()[0]?.pages()[0];
    const perLayer = await sender?.$eval(".tile.self", (tile) =>
      ((tile as HTMLElement).dataset.bytesPerLayer ?? "").split("/").map(Number),
    );
    const upload = (perLayer ?? []).reduce((a, b) => a + b, 0) / (perLayer?.[0] ?? 1);
    console.log(
      `page upload, 3 layers: ${perLayer?.join(" / ")} bytes = ${upload.toFixed(2)}× the full layer`,
    );
    expect(upload).toBeGreaterThan(1);
    // The hover label says which layer and how fast.
    const label = await viewer.page.$eval(
      "#tiles .tile[data-peer-id] .layer",
      (el) => el.textContent,
    );
    expect(label).toMatch(/^layer [12] · \d+x\d+ · [\d.]+ fps$/);
    // The layout changes (a 1920x1080 window: every grid tile grows past 320x180): each tile asks
    // again, now for the half-size layer (640x360 is the smallest at least as large as its picture).
    await viewer.page.setViewportSize({ width: 1920, height: 1080 });
    await viewer.page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>("#tiles .tile[data-peer-id]")].every(
          (tile) => tile.dataset.layer === "1",
        ),
      undefined,
      { timeout: 20_000, polling: 200 },
    );
    expect(viewer.errors).toEqual([]);
  },
  180_000,
);
