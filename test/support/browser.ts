// Launches Debian's Chromium through playwright-core for browser tests, with fake camera media and
// no background traffic (this machine's network is closed; Chromium's own pings would be refused).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const QUIET_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // A frame drawn in a tab the headless window doesn't focus must still be drawn on time.
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

/** Fake camera (a moving test pattern) that every page may use without a prompt. */
export const FAKE_CAMERA_FLAGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
];

export interface LaunchedBrowser {
  context: BrowserContext;
  /** Closes the browser and removes its profile; safe to call twice. */
  close(): Promise<void>;
}

/**
 * A persistent context on a fresh profile: one Chromium process tree, killed by close(). Tests
 * keep pages apart (storage, identity) by opening each participant in its own browser.
 */
export async function launchBrowser(
  extraFlags: string[] = FAKE_CAMERA_FLAGS,
): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "framecast-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...QUIET_FLAGS, ...extraFlags],
    viewport: { width: 1000, height: 700 },
    timeout: 30_000,
  });
  let closed = false;
  return {
    context,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.race([context.close(), Bun.sleep(10_000)]);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
