// Launches Debian's Chromium through playwright-core for browser tests, with a fake camera and no
// background traffic (this machine's network is closed; Chromium's own pings would be refused).
// Playwright gives every launch a fresh profile directory and deletes it on close.
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { available } from "../../harness/tools.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Browser tests skip without Chromium on a developer machine and fail without it in CI. */
export const hasChromium = available(
  "chromium (apt-get install chromium)",
  existsSync(CHROMIUM_PATH),
);

const QUIET_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Pages of one browser share one headless window: none may be throttled as "in the background".
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

/** A fake camera (Chromium's moving test pattern). */
export const FAKE_CAMERA = "--use-fake-device-for-media-stream";
/** Answers every camera prompt with "allow", whatever the site's permission says. */
export const AUTO_ALLOW_CAMERA = "--use-fake-ui-for-media-stream";

const launched = new Set<Browser>();

export async function launchBrowser(
  extraFlags: string[] = [FAKE_CAMERA, AUTO_ALLOW_CAMERA],
): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...QUIET_FLAGS, ...extraFlags],
    timeout: 30_000,
  });
  launched.add(browser);
  return browser;
}

/** Closes every browser launched here (call in afterEach/afterAll: failures must not leak Chromium). */
export async function closeAllBrowsers(): Promise<void> {
  const browsers = [...launched];
  launched.clear();
  await Promise.all(
    browsers.map((browser) =>
      Promise.race([browser.close(), Bun.sleep(10_000)]).catch(() => {
        // Already gone.
      }),
    ),
  );
}

/**
 * Sets the camera permission of `origin` in `context` through the DevTools protocol: the same
 * setting a visitor changes in the site's settings. "denied" makes getUserMedia reject with
 * NotAllowedError (only without AUTO_ALLOW_CAMERA, which bypasses permissions).
 */
export async function setCameraPermission(
  browser: Browser,
  context: BrowserContext,
  page: Page,
  origin: string,
  setting: "granted" | "denied",
): Promise<void> {
  const pageSession = await context.newCDPSession(page);
  const { targetInfo } = (await pageSession.send("Target.getTargetInfo")) as {
    targetInfo: { browserContextId: string };
  };
  await pageSession.detach();
  const browserSession = await browser.newBrowserCDPSession();
  await browserSession.send("Browser.setPermission", {
    permission: { name: "camera" },
    setting,
    origin,
    browserContextId: targetInfo.browserContextId,
  });
  // No detach: Chromium drops a session's permission overrides when that session goes.
}
