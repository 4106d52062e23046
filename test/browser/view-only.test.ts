// View-only participants and participants who send nothing, in real Chromium on a relay with join
// tokens: a page joined with a `relay token --view-only` link offers nothing to send, says "view
// only" and sends nothing even when its share button is clicked by script; the other page lists it
// as a viewer and has no tile for it; a CLI --no-send participant is listed and has no tile either.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "bun";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import {
  AUTO_ALLOW_CAMERA,
  closeAllBrowsers,
  FAKE_CAMERA,
  hasChromium,
  launchBrowser,
} from "../support/browser.ts";
import {
  appData,
  openPage,
  type Participant,
  remoteTiles,
  shareCamera,
  waitForRemoteTiles,
} from "../support/room-page.ts";
import { metric, SECRET, token } from "../support/secure-peer.ts";

const browserTest = test.skipIf(!hasChromium);
const ROOM = "panel";
const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const RELAY_MAIN = join(import.meta.dir, "..", "..", "relay", "main.ts");
const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts");

let relay: SpawnedRelay | null = null;
const pages: Participant[] = [];

afterAll(async () => {
  for (const page of pages) await page.context.close().catch(() => {});
  await closeAllBrowsers();
  await killAllClients();
  await relay?.stop();
});

/** A join link as a user mints it: `relay token --view-only --json`. */
async function viewOnlyJoinUrl(httpUrl: string, name: string): Promise<string> {
  const proc = spawn(
    [
      process.execPath,
      RELAY_MAIN,
      "token",
      "--room",
      ROOM,
      "--name",
      name,
      "--view-only",
      "--json",
      "--relay-url",
      httpUrl,
    ],
    { env: { PATH: process.env.PATH ?? "", RELAY_AUTH_SECRET: SECRET }, stdout: "pipe" },
  );
  const killer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const stdout = await new Response(proc.stdout).text();
  clearTimeout(killer);
  expect(await proc.exited).toBe(0);
  const minted = JSON.parse(stdout) as { joinUrl: string; canPublish: boolean };
  expect(minted.canPublish).toBe(false);
  return minted.joinUrl;
}

/** The people list's entries (open or not): name with its note, and its data-* marks. */
function peopleOf(page: Participant) {
  return page.page.$$eval("#people li", (items) =>
    items.map((item) => ({
      text: item.textContent ?? "",
      viewer: (item as HTMLElement).dataset.viewer,
      sending: (item as HTMLElement).dataset.sending,
    })),
  );
}

browserTest(
  "a view-only page offers nothing to send and sends nothing; the others list it, with no tile",
  async () => {
    relay = await startRelay(["--auth-secret", SECRET, "--admin-token", ADMIN_TOKEN]);
    const browser = await launchBrowser([FAKE_CAMERA, AUTO_ALLOW_CAMERA]);
    const ana = await openPage(
      browser,
      `${relay.httpUrl}/r/${ROOM}?token=${await token(ROOM, "ana")}`,
    );
    pages.push(ana);
    await ana.page.click("#join-button");
    await ana.page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
    await shareCamera(ana.page, "320x240", "10");

    const vic = await openPage(browser, await viewOnlyJoinUrl(relay.httpUrl, "vic"));
    pages.push(vic);
    // Before joining: no camera preview to offer, and the form says why.
    expect(await vic.page.isVisible("#preview-button")).toBe(false);
    expect(await vic.page.textContent("#preview-caption")).toContain("view only");
    await vic.page.click("#join-button");
    await vic.page.waitForSelector('#app[data-state="live"][data-view-only="true"]', {
      timeout: 15_000,
    });
    expect(await vic.page.isVisible("#view-only-badge")).toBe(true);
    expect(await vic.page.textContent("#view-only-badge")).toBe("view only");
    for (const control of ["#share-button", "#mic-button", "#size-select", "#fps-select"]) {
      expect(await vic.page.isVisible(control), control).toBe(false);
    }
    // Leave and full screen stay.
    expect(await vic.page.isVisible("#leave-button")).toBe(true);
    // vic watches: ana's picture arrives.
    await waitForRemoteTiles(vic.page, ["ana"], 5);

    // A CLI participant that never sends, on an ordinary token.
    const cli = runClient([
      "--no-send",
      "--relay",
      relay.wsUrl,
      "--room",
      ROOM,
      "--token",
      await token(ROOM, "cli"),
    ]);
    await cli.waitFor(/joined room panel as cli/, 15_000);

    // Even a scripted click on the hidden buttons captures nothing.
    await vic.page.evaluate(() => {
      document.getElementById("share-button")?.click();
      document.getElementById("mic-button")?.click();
    });
    await Bun.sleep(2000);
    const vicApp = await appData(vic.page);
    expect(vicApp.camera).toBe("off");
    expect(vicApp.micSent ?? "0").toBe("0");
    expect(await vic.page.isVisible(".tile.self")).toBe(false);
    // The relay never had anything of vic's to drop.
    expect(
      await metric(
        relay.httpUrl,
        "framecast_rejected_messages_total",
        '{reason="view_only"}',
        admin,
      ),
    ).toBe(0);

    // ana: vic listed as a viewer, the CLI as not sending, neither as a tile.
    await ana.page.waitForFunction(
      () => document.querySelectorAll("#people li").length === 3,
      null,
      {
        timeout: 10_000,
      },
    );
    const people = await peopleOf(ana);
    expect(people.map((p) => p.text)).toEqual(["ana (you)", "vic (viewer)", "cli (not sending)"]);
    expect(people[1]?.viewer).toBe("true");
    expect(people[2]?.sending).toBe("false");
    expect(await ana.page.textContent("#people-button")).toBe("3 people");
    expect(await remoteTiles(ana.page)).toEqual([]);
    // Nobody else sends, yet ana is not "alone": there are people here.
    expect(await ana.page.isVisible("#alone")).toBe(false);
    // vic's own list: vic as a viewer, ana sending, the CLI not.
    expect((await peopleOf(vic)).map((p) => p.text)).toEqual([
      "vic (you, viewer)",
      "ana",
      "cli (not sending)",
    ]);
    expect((await remoteTiles(vic.page)).map((tile) => tile.name)).toEqual(["ana"]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await vic.page.screenshot({ path: join(ARTIFACTS, "view-only.png") });
    await ana.page.click("#people-button");
    await ana.page.screenshot({ path: join(ARTIFACTS, "view-only-sender.png") });
    // The page asks the relay whether the plain room link would let people in: a 401, logged.
    for (const page of [ana, vic])
      expect(page.errors.filter((error) => !error.includes("status of 401"))).toEqual([]);
    await cli.stop();
  },
  60_000,
);
