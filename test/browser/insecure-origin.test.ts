// The page on a non-secure origin (issue 19): http://lan.test:PORT (Chromium maps lan.test to
// 127.0.0.1, so the only target stays loopback, yet the origin is as non-secure as a LAN address)
// says that camera, microphone and sound need https or localhost and links to the https address,
// instead of blaming the browser. On http://127.0.0.1 (a secure context) it says nothing of it.
import { afterAll, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  AUTO_ALLOW_CAMERA,
  closeAllBrowsers,
  FAKE_CAMERA,
  hasChromium,
  launchBrowser,
} from "../support/browser.ts";
import { joinAs, openPage } from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
let relay: SpawnedRelay | null = null;

afterAll(async () => {
  await closeAllBrowsers();
  await relay?.stop();
});

browserTest(
  "http://lan.test: the notice names the secure-context cause and links to https",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser([
      FAKE_CAMERA,
      AUTO_ALLOW_CAMERA,
      "--host-resolver-rules=MAP lan.test 127.0.0.1",
    ]);
    const lan = await openPage(browser, `http://lan.test:${relay.port}/r/team`);
    expect(await lan.page.evaluate(() => globalThis.isSecureContext)).toBe(false);
    const notice = lan.page.locator("#secure-notice");
    expect(await notice.isVisible()).toBe(true);
    const text = (await notice.textContent()) ?? "";
    expect(text).toContain("Camera, microphone and sound need https:// or localhost");
    expect(text).toContain("--tls self-signed");
    expect(await notice.locator("a").getAttribute("href")).toBe(
      `https://lan.test:${relay.port}/r/team`,
    );
    await joinAs(lan.page, "lan-guest");
    const audio = (await lan.page.textContent("#audio-notice")) ?? "";
    expect(audio).not.toContain("recent Chrome");
    expect(await lan.page.textContent("body")).not.toContain("recent Chrome");
    expect(lan.errors).toEqual([]);

    const local = await openPage(browser, `${relay.httpUrl}/r/team`);
    expect(await local.page.evaluate(() => globalThis.isSecureContext)).toBe(true);
    expect(await local.page.locator("#secure-notice").isHidden()).toBe(true);
  },
  60_000,
);
