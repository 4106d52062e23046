// The page on a relay with join tokens, in real Chromium: a refusal shows the relay's own reason
// (401/403) and what to do, nothing is retried that can't succeed, a page without a token asks for
// a join link, the name comes from the token, and no link is offered that would not let anyone in.
import { afterAll, afterEach, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { appData, openPage, type Participant } from "../support/room-page.ts";
import { SECRET, token } from "../support/secure-peer.ts";

const browserTest = test.skipIf(!hasChromium);

let relay: SpawnedRelay | null = null;
let browser: Browser | null = null;
const pages: Participant[] = [];

afterEach(async () => {
  for (const page of pages.splice(0)) await page.context.close().catch(() => {});
});
afterAll(async () => {
  await closeAllBrowsers();
  await relay?.stop();
});

async function tokenRelay(): Promise<SpawnedRelay> {
  relay ??= await startRelay(["--auth-secret", SECRET]);
  return relay;
}

async function open(path: string): Promise<Participant> {
  const running = await tokenRelay();
  browser ??= await launchBrowser();
  const page = await openPage(browser, `${running.httpUrl}${path}`);
  pages.push(page);
  return page;
}

const refusals = () => relay?.logs.filter((l) => l.event === "join_refused").length ?? 0;

/** Joins and waits for the page to give up; returns the notice it shows. */
async function joinUntilRefused(page: Participant): Promise<string> {
  await page.page.click("#join-button");
  await page.page.waitForSelector('#app[data-state="refused"]', { timeout: 15_000 });
  return (await page.page.textContent("#relay-notice")) ?? "";
}

browserTest(
  "no token: the page says the relay needs a join link, with the relay's reason, and stops",
  async () => {
    const participant = await open("/r/team");
    const { page } = participant;
    await page.fill("#name-input", "walk-in");
    const refusedBefore = refusals();
    const notice = await joinUntilRefused(participant);
    // The page's "why?" GET carries the probe header: the refusal is logged once, not twice.
    expect(refusals()).toBe(refusedBefore + 1);
    expect(notice).toContain("only people with a join link");
    expect(notice).toContain("HTTP 401: join token required");
    expect(notice).toContain("npm run relay -- token --room ROOM --name NAME");
    expect(await page.textContent("#status")).toBe(
      "refused: join token required (?token= or Authorization: Bearer)",
    );
    // No endless retry: nothing more reaches the relay while the page sits there.
    const before = refusals();
    await Bun.sleep(3500);
    expect(refusals()).toBe(before);
    expect(await page.textContent("#status")).not.toContain("reconnecting");
    expect((await appData(page)).state).toBe("refused");
    // Refused for good: no call controls and no plain room link to pass on, only the way back.
    for (const selector of [
      "#share-button",
      "#mic-button",
      "#size-select",
      "#invite",
      "#people-button",
    ]) {
      expect(await page.isVisible(selector)).toBe(false);
    }
    expect(await page.isVisible("#leave-button")).toBe(true);
    expect(await page.isVisible("#relay-notice")).toBe(true);
  },
  40_000,
);

browserTest(
  "a token for another room: 403 and the reason; the name comes from the token",
  async () => {
    const page = await open(`/r/team?token=${await token("elsewhere", "eve")}`);
    expect(await page.page.inputValue("#name-input")).toBe("eve");
    expect(
      await page.page.$eval("#name-input", (input) => (input as HTMLInputElement).readOnly),
    ).toBe(true);
    const notice = await joinUntilRefused(page);
    expect(notice).toContain("Your join link is for another room");
    expect(notice).toContain("HTTP 403: join token is for another room");
  },
  40_000,
);

browserTest(
  "an expired token: 401 'join token expired', asks for a new link",
  async () => {
    const expired = await token("team", "old", { ttlSeconds: 60, nowMs: Date.now() - 3_600_000 });
    const page = await open(`/r/team?token=${expired}`);
    const notice = await joinUntilRefused(page);
    expect(notice).toContain("Your join link has expired");
    expect(notice).toContain("HTTP 401: join token expired");
  },
  40_000,
);

browserTest(
  "a valid join link: in under the token's name; no room link that would not let others in",
  async () => {
    const page = await open(`/r/team?token=${await token("team", "carol")}`);
    expect(await page.page.inputValue("#name-input")).toBe("carol");
    expect(await page.page.isVisible("#name-hint")).toBe(true);
    await page.page.click("#join-button");
    await page.page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
    expect(await page.page.textContent("#where")).toContain("you are carol");
    // The relay needs tokens: the page offers no link, and says what others need instead.
    await page.page.waitForSelector('#invite[data-offered="false"]', {
      state: "attached",
      timeout: 10_000,
    });
    expect(await page.page.isVisible("#room-link")).toBe(false);
    expect(await page.page.isVisible("#copy-link-button")).toBe(false);
    expect(await page.page.textContent("#invite-note")).toContain("join link of their own");
    expect(await page.page.textContent("#alone")).toContain("join link of their own");
    expect(await page.page.textContent("#alone")).not.toContain("Send them the room link");
    // The page's own check of the room without a token is refused, as it should be (logged by
    // the browser as a failed load); nothing else went wrong.
    expect(page.errors.filter((error) => !error.includes("status of 401"))).toEqual([]);
  },
  40_000,
);
