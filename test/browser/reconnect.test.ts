// The page and the relay's lifecycle: it shows the relay's goodbye, counts down its reconnect,
// comes back when a relay listens on the same port again, and respects the welcome's limits.
import { afterEach, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { sendFrames } from "../support/jpeg-sender.ts";
import { TestPeer } from "../support/peer.ts";
import {
  appData,
  joinAs,
  openPage,
  shareCamera,
  waitForRemoteTiles,
} from "../support/room-page.ts";

/** Skipped without Chromium on a developer machine; CI installs it and fails without it. */
const browserTest = test.skipIf(!hasChromium);

const relays: SpawnedRelay[] = [];
const peers: TestPeer[] = [];
const stops: Array<() => void> = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  for (const peer of peers.splice(0)) peer.close();
  await closeAllBrowsers();
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

async function joinedPeer(relay: SpawnedRelay, room: string, name: string) {
  const peer = await TestPeer.join(relay.wsUrl, room, name);
  peers.push(peer);
  return peer;
}

browserTest(
  "relay restart: the page shows the shutdown, counts down, reconnects and carries on both ways",
  async () => {
    const first = await startRelay();
    relays.push(first);
    const browser = await launchBrowser();
    const { page, errors } = await openPage(browser, `${first.httpUrl}/r/restart`);
    await joinAs(page, "pat");
    await shareCamera(page, "320x240", "10");
    const watcher = await joinedPeer(first, "restart", "watcher");
    stops.push(sendFrames(watcher, 10));
    await waitForRemoteTiles(page, ["watcher"], 5);

    // The relay goes away: its error message is shown, the state says when it will retry.
    await first.stop();
    relays.splice(0);
    // One snapshot while reconnecting: the first retry comes within a second, and a loaded machine
    // could otherwise read the state, the notice and the status line from different moments.
    const outageView = await page.waitForFunction(
      () => {
        if (document.querySelector("#app")?.getAttribute("data-state") !== "reconnecting")
          return null;
        const notice = document.querySelector("#relay-notice");
        return {
          notice: notice?.textContent,
          code: notice?.getAttribute("data-code"),
          status: document.querySelector("#status")?.textContent,
        };
      },
      null,
      { timeout: 10_000, polling: 20 },
    );
    const seen = await outageView.jsonValue();
    expect(seen?.notice).toBe("Relay: relay shutting down");
    expect(seen?.code).toBe("shutting_down");
    expect(seen?.status).toMatch(/^connection lost: reconnecting in \d+ s$/);
    // Ids belong to a connection: the old tiles are gone.
    expect(await page.locator("#tiles .tile[data-peer-id]").count()).toBe(0);

    // A relay on the same port again: the page rejoins by itself and shows the room afresh.
    const second = await startRelay(["--port", String(first.port)]);
    relays.push(second);
    expect(second.port).toBe(first.port);
    await page.waitForSelector('#app[data-state="live"]', { timeout: 30_000 });
    expect(await page.textContent("#status")).toBe("live");
    expect(await page.locator("#relay-notice").isVisible()).toBe(false);
    const viewer = await joinedPeer(second, "restart", "viewer");
    stops.push(sendFrames(viewer, 10, 7));
    await waitForRemoteTiles(page, ["viewer"], 5);
    // The camera kept running through the outage: the new relay gets the page's frames.
    await viewer.waitFor(() => viewer.binary.length >= 5, "frames from the page", 15_000);
    expect(await appData(page)).toMatchObject({ state: "live", camera: "on" });
    // Retries during the outage find nobody listening: the WebSocket, and the refusal check's
    // GET after it (web/room/refusal-check.ts), which Chromium logs as ERR_CONNECTION_REFUSED.
    const outage = (error: string) =>
      error.includes("WebSocket") || error.includes("ERR_CONNECTION_REFUSED");
    expect(errors.filter((error) => !outage(error))).toEqual([]);
  },
  90_000,
);

browserTest(
  "frames over the relay's maxFrameBytes are never sent, and the page says why",
  async () => {
    const relay = await startRelay(["--max-frame-bytes", "1KiB"]);
    relays.push(relay);
    const browser = await launchBrowser();
    const { page } = await openPage(browser, `${relay.httpUrl}/r/tiny`);
    await joinAs(page, "big");
    const watcher = await joinedPeer(relay, "tiny", "watcher");
    await shareCamera(page, "640x480", "10");
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>(".tile.self")?.dataset.tooLarge) > 3,
      null,
      {
        timeout: 15_000,
      },
    );
    expect(await page.getAttribute("#relay-notice", "data-code")).toBe("frame_too_large");
    expect(await page.textContent("#relay-notice")).toContain("over the relay's 1 kB limit");
    expect(await page.getAttribute(".tile.self", "data-sent")).toBe("0");
    expect(watcher.binary).toHaveLength(0);
    expect(relay.logs.filter((entry) => entry.event === "leave")).toEqual([]);
  },
  60_000,
);
