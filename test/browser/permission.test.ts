// Camera permission denied, through the browser's own permission setting (no auto-allow flag):
// the page says so plainly and keeps working as a viewer. Also: tiles follow presence, and the
// room and name are remembered.
import { afterAll, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  closeAllBrowsers,
  FAKE_CAMERA,
  hasChromium,
  launchBrowser,
  setCameraPermission,
} from "../support/browser.ts";
import { sendFrames } from "../support/jpeg-sender.ts";
import { TestPeer } from "../support/peer.ts";
import {
  appData,
  joinAs,
  openPage,
  remoteTiles,
  waitForRemoteTiles,
} from "../support/room-page.ts";

/** Skipped without Chromium on a developer machine; CI installs it and fails without it. */
const browserTest = test.skipIf(!hasChromium);

let relay: SpawnedRelay | null = null;
const peers: TestPeer[] = [];
const stops: Array<() => void> = [];

afterAll(async () => {
  for (const stop of stops) stop();
  for (const peer of peers) peer.close();
  await closeAllBrowsers();
  await relay?.stop();
});

browserTest(
  "camera permission denied: a clear message, and the page still shows the others' frames",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser([FAKE_CAMERA]);
    const viewer = await openPage(browser, `${relay.httpUrl}/`);
    await setCameraPermission(browser, viewer.context, viewer.page, relay.httpUrl, "denied");
    expect(
      await viewer.page.evaluate(() =>
        navigator.permissions
          .query({ name: "camera" as PermissionName })
          .then((status) => status.state),
      ),
    ).toBe("denied");
    await joinAs(viewer.page, "viewer", "perm");
    expect(new URL(viewer.page.url()).pathname).toBe("/r/perm");

    await viewer.page.click("#share-button");
    await viewer.page.waitForSelector('#app[data-camera="denied"]', { timeout: 10_000 });
    const notice = viewer.page.locator("#camera-notice");
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toContain("Camera permission was denied");
    expect(await notice.textContent()).toContain("You can still watch");
    expect(await viewer.page.textContent("#share-button")).toBe("Share camera");
    expect(await viewer.page.locator(".tile.self").count()).toBe(0);
    expect(await appData(viewer.page)).toMatchObject({ state: "live", camera: "denied" });

    // Someone else shares: the viewer gets a tile with their frames.
    const sender = await TestPeer.join(relay.wsUrl, "perm", "sender");
    peers.push(sender);
    stops.push(sendFrames(sender, 10));
    const [tile] = await waitForRemoteTiles(viewer.page, ["sender"], 10, 15_000);
    expect(tile?.peerId).toBe(String(sender.welcome.id));
    expect(await viewer.page.locator("#alone").isVisible()).toBe(false);
    // The viewer sent nothing: the sender only saw presence.
    expect(sender.binary).toHaveLength(0);

    // Presence: the sender leaves, the tile goes.
    sender.close();
    await viewer.page.waitForSelector("#tiles .tile[data-peer-id]", {
      state: "detached",
      timeout: 10_000,
    });
    expect(await remoteTiles(viewer.page)).toEqual([]);
    expect(await viewer.page.locator("#alone").isVisible()).toBe(true);

    // A reload remembers the room (from the link) and the name (from storage).
    await viewer.page.reload();
    expect(await viewer.page.inputValue("#room-input")).toBe("perm");
    expect(await viewer.page.inputValue("#name-input")).toBe("viewer");
    expect(viewer.errors).toEqual([]);
  },
  60_000,
);
