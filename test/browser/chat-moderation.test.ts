// Chat, raised hands, the REC mark and host controls in real Chromium with a real CLI, on a relay
// with join tokens: chat between two pages and a CLI (typed on its stdin), a late joiner sees the
// history, HTML in a message shows as text and runs nothing, hands in the order raised, a CLI
// with --record puts REC on every page, a moderator's page stops a camera, removes a participant
// (whose page says so) and locks the room (a newcomer's page says why it can't join). Then an
// encrypted room: the pages read each other's chat, a v1 peer without the key gets sealed bytes.
// Screenshots go to artifacts/ (and docs/screenshot-chat.png with UPDATE_SCREENSHOT=1).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import type { ChatMessage } from "../../protocol/index.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { spawnChatCli, stopAllChatClis } from "../support/chat-cli.ts";
import { startClusterRelay } from "../support/cluster.ts";
import { TestPeer } from "../support/peer.ts";
import { hasRedis, TestRedis } from "../support/redis.ts";
import {
  joinAs,
  openPage,
  type Participant,
  shareCamera,
  waitForRemoteTiles,
} from "../support/room-page.ts";
import { SECRET, token } from "../support/secure-peer.ts";

const browserTest = test.skipIf(!hasChromium);
const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts");
const XSS = "<img src=x onerror=window.__pwned=1>";

const relays: SpawnedRelay[] = [];
const pages: Participant[] = [];
const peers: TestPeer[] = [];

afterAll(async () => {
  for (const page of pages) await page.context.close().catch(() => {});
  await closeAllBrowsers();
  await stopAllChatClis();
  for (const peer of peers) peer.close();
  for (const relay of relays) await relay.stop();
});

async function pageWithToken(
  browser: Awaited<ReturnType<typeof launchBrowser>>,
  relay: SpawnedRelay,
  room: string,
  name: string,
  canModerate = false,
): Promise<Participant> {
  const jwt = await token(room, name, { canModerate });
  const page = await openPage(browser, `${relay.httpUrl}/r/${room}?token=${jwt}`, {
    width: 1280,
    height: 720,
  });
  pages.push(page);
  await page.page.click("#join-button");
  await page.page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
  return page;
}

async function say(page: Participant, text: string): Promise<void> {
  if ((await page.page.getAttribute("#chat-button", "aria-expanded")) !== "true") {
    await page.page.click("#chat-button");
  }
  await page.page.fill(".chat-input", text);
  await page.page.press(".chat-input", "Enter");
}

function chatBodies(page: Participant) {
  return page.page.$$eval("#chat .chat-message", (items) =>
    items.map((item) => ({
      text: item.querySelector(".chat-body")?.textContent ?? "",
      meta: item.querySelector(".chat-meta")?.textContent ?? "",
      history: (item as HTMLElement).dataset.history === "true",
    })),
  );
}

async function waitForChat(page: Participant, text: string, timeoutMs = 15_000) {
  await page.page.waitForFunction(
    (want) =>
      [...document.querySelectorAll("#chat .chat-body")].some((b) => b.textContent === want),
    text,
    { timeout: timeoutMs },
  );
}

function peopleNames(page: Participant) {
  return page.page.$$eval(".people-list li", (items) => items.map((i) => i.textContent ?? ""));
}

browserTest(
  "chat between pages and a CLI, history, HTML as text, hands, REC, and a moderator's controls",
  async () => {
    const relay = await startRelay(["--auth-secret", SECRET]);
    relays.push(relay);
    const room = "class";
    const browser = await launchBrowser();
    const host = await pageWithToken(browser, relay, room, "host", true);
    const bob = await pageWithToken(browser, relay, room, "bob");
    await shareCamera(bob.page, "320x240", "10");
    const recordDir = mkdtempSync(join(tmpdir(), "framecast-chat-record-"));
    const cli = spawnChatCli([
      "--no-send",
      "--chat",
      "--record",
      recordDir,
      "--relay",
      relay.wsUrl,
      "--room",
      room,
      "--token",
      await token(room, "cli"),
    ]);
    await cli.waitFor(/joined room class as cli/);

    // Chat: page → page and CLI; a link becomes a safe anchor, javascript: stays text.
    await say(host, "hello from the host https://example.org/notes and javascript:alert(1)");
    const hello = "hello from the host https://example.org/notes and javascript:alert(1)";
    await waitForChat(bob, hello);
    const link = await bob.page.$eval("#chat .chat-body a", (a) => ({
      href: (a as HTMLAnchorElement).href,
      rel: (a as HTMLAnchorElement).rel,
      count: document.querySelectorAll("#chat .chat-body a").length,
    }));
    expect(link).toEqual({
      href: "https://example.org/notes",
      rel: "noopener noreferrer nofollow",
      count: 1,
    });
    await cli.waitFor(/chat \d\d:\d\d host: hello from the host/);
    // CLI → pages, typed on its stdin.
    cli.type("hi from the cli");
    await waitForChat(host, "hi from the cli");
    await waitForChat(bob, "hi from the cli");
    // Unread count on a closed panel.
    expect(await bob.page.getAttribute("#chat-button", "data-unread")).not.toBe("0");
    // HTML in a message: shown as text, nothing runs, no element made.
    await say(bob, XSS);
    await waitForChat(host, XSS);
    await Bun.sleep(500);
    expect(await host.page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBe(
      undefined,
    );
    expect(await host.page.$$("#chat img")).toHaveLength(0);
    await cli.waitFor(/chat \d\d:\d\d bob: <img src=x onerror=window.__pwned=1>/);

    // A late joiner sees the history.
    const carol = await pageWithToken(browser, relay, room, "carol");
    await waitForChat(carol, "hi from the cli");
    const history = await chatBodies(carol);
    expect(history.map((m) => m.text)).toEqual([hello, "hi from the cli", XSS]);
    expect(history.every((m) => m.history)).toBe(true);

    // REC: the CLI records; every page shows it and says who.
    for (const page of [host, bob, carol]) {
      await page.page.waitForSelector("#rec-badge:not([hidden])", { timeout: 10_000 });
      expect(await page.page.getAttribute("#rec-badge", "title")).toBe("Recording: cli");
    }
    expect((await peopleNames(host)).find((t) => t.startsWith("cli"))).toContain("recording");

    // Hands, in the order raised: bob, then carol; the host sees the order and bob's tile mark.
    await bob.page.click("#hand-button");
    await host.page.waitForSelector(".hands-list li", { timeout: 10_000, state: "attached" });
    await carol.page.click("#hand-button");
    await host.page.waitForFunction(
      () => document.querySelectorAll(".hands-list li").length === 2,
      null,
      { timeout: 10_000 },
    );
    expect(
      await host.page.$$eval(".hands-list li", (items) => items.map((i) => i.textContent)),
    ).toEqual(["bob", "carol"]);
    await waitForRemoteTiles(host.page, ["bob"], 1);
    await host.page.waitForSelector('#tiles .tile[data-name="bob"][data-hand="1"]', {
      timeout: 5000,
    });
    await cli.waitFor(/bob raised a hand/);
    expect(await bob.page.textContent("#hand-button")).toBe("Lower hand");
    // Not a moderator: carol has no moderation buttons.
    expect(await carol.page.$$(".moderation-action")).toHaveLength(0);

    // The host opens the people list: lower all hands, stop bob's camera.
    await host.page.click("#people-button");
    mkdirSync(ARTIFACTS, { recursive: true });
    if ((await host.page.getAttribute("#chat-button", "aria-expanded")) !== "true") {
      await host.page.click("#chat-button");
    }
    await host.page.screenshot({ path: join(ARTIFACTS, "chat-moderation-host.png") });
    if (process.env.UPDATE_SCREENSHOT === "1") {
      await host.page.screenshot({
        path: join(import.meta.dir, "..", "..", "docs", "screenshot-chat.png"),
      });
    }
    await host.page.click('.moderation-room [data-action="lower_hands"]');
    await host.page.waitForFunction(() => document.querySelector(".hands-list") === null, null, {
      timeout: 10_000,
    });
    const bobId = await bob.page.$eval("#app", (app) => (app as HTMLElement).dataset.selfId);
    await host.page.click(`.moderation-menu[data-peer-id="${bobId}"] summary`);
    await host.page.click(
      `.moderation-actions[data-peer-id="${bobId}"] [data-action="stop-camera"]`,
    );
    await bob.page.waitForSelector('#relay-notice[data-code="moderation_stop"]', {
      timeout: 10_000,
    });
    expect(await bob.page.textContent("#relay-notice")).toContain("stopped your camera");
    expect((await bob.page.$eval("#app", (a) => (a as HTMLElement).dataset.camera)) ?? "").toBe(
      "off",
    );
    await host.page.waitForFunction(
      () =>
        [...document.querySelectorAll(".people-list li")].some((li) =>
          li.textContent?.includes("camera stopped by a moderator"),
        ),
      null,
      { timeout: 10_000 },
    );

    // Remove bob: his page says so and stops trying.
    await host.page.click(`.moderation-actions[data-peer-id="${bobId}"] [data-action="remove"]`);
    await bob.page.waitForSelector('#app[data-ended="4010"]', { timeout: 10_000 });
    expect(await bob.page.textContent("#relay-notice")).toContain("removed you");
    expect(await bob.page.textContent("#status")).toBe("removed");

    // Lock: a newcomer's page is refused and says why.
    await host.page.click('.moderation-room [data-action="lock"]');
    await host.page.waitForSelector('#app[data-locked="true"]', { timeout: 10_000 });
    const jwt = await token(room, "dave");
    const dave = await openPage(browser, `${relay.httpUrl}/r/${room}?token=${jwt}`);
    pages.push(dave);
    await dave.page.click("#join-button");
    await dave.page.waitForSelector('#app[data-state="refused"]', { timeout: 20_000 });
    expect(await dave.page.textContent("#relay-notice")).toContain("locked");
    await dave.page.screenshot({ path: join(ARTIFACTS, "chat-moderation-locked.png") });

    // Ask carol to mute (advisory: her page says so), then end the call (two clicks).
    const carolId = await carol.page.$eval("#app", (app) => (app as HTMLElement).dataset.selfId);
    await host.page.click(`.moderation-menu[data-peer-id="${carolId}"] summary`);
    await host.page.click(`.moderation-actions[data-peer-id="${carolId}"] [data-action="mute"]`);
    await carol.page.waitForSelector('#relay-notice[data-code="moderation_mute"]', {
      timeout: 10_000,
    });
    expect(await carol.page.textContent("#relay-notice")).toContain(
      "host (moderator) asked you to mute",
    );
    await host.page.click('.moderation-room [data-action="end"]');
    await host.page.click('.moderation-room [data-action="end"]');
    await carol.page.waitForSelector('#app[data-ended="4011"]', { timeout: 10_000 });
    expect(await carol.page.textContent("#relay-notice")).toContain("ended the call for everyone");
    expect(await carol.page.textContent("#status")).toBe("call ended");
    await cli.waitFor(/left the room: a moderator ended the call/);
    await bob.page.screenshot({ path: join(ARTIFACTS, "chat-moderation-removed.png") });
    for (const page of [host, bob, carol]) {
      expect(page.errors.filter((e) => !/status of (401|403)/.test(e))).toEqual([]);
    }
  },
  120_000,
);

browserTest(
  "in an encrypted room the pages read each other's chat; a v1 peer without the key gets sealed bytes",
  async () => {
    const relay = await startRelay();
    relays.push(relay);
    const room = "sealed";
    const browser = await launchBrowser();
    const ana = await openPage(browser, `${relay.httpUrl}/r/${room}`);
    pages.push(ana);
    await ana.page.check("#e2ee-input");
    await joinAs(ana.page, "ana");
    const link = await ana.page.$eval("#room-link", (a) => (a as HTMLAnchorElement).href);
    const ben = await openPage(browser, link);
    pages.push(ben);
    await joinAs(ben.page, "ben");
    const keyless = await TestPeer.join(relay.wsUrl, room, "keyless");
    peers.push(keyless);
    // Without tokens nobody moderates, and the people list says so.
    expect(await ana.page.textContent(".moderation-room")).toContain("nobody can moderate");

    await say(ana, "the secret plan");
    await waitForChat(ben, "the secret plan");
    const sealed = await keyless.until(
      () => keyless.controls.find((c): c is ChatMessage => c.type === "chat"),
      "a chat message",
      10_000,
    );
    expect(sealed.text).toBeUndefined();
    expect(typeof sealed.sealed).toBe("string");
    expect(Buffer.from(sealed.sealed ?? "", "base64").toString("latin1")).not.toContain("secret");
    expect(sealed.name).toBe("ana");
    // A message sealed with no key at all (plain text from the keyless peer) still shows, as text.
    keyless.ws.send(JSON.stringify({ type: "chat", text: "plain from keyless" }));
    await waitForChat(ana, "plain from keyless");
  },
  60_000,
);

browserTest.skipIf(!hasRedis)(
  "cluster: a moderator on relay A removes a page on relay B; its link is refused at relay A too",
  async () => {
    const redis = await TestRedis.start();
    try {
      const a = await startClusterRelay(redis.url, ["--auth-secret", SECRET]);
      const b = await startClusterRelay(redis.url, ["--auth-secret", SECRET]);
      relays.push(a, b);
      const room = "spread";
      const browser = await launchBrowser();
      const host = await pageWithToken(browser, a, room, "host", true);
      const bobToken = await token(room, "bob");
      const bob = await openPage(browser, `${b.httpUrl}/r/${room}?token=${bobToken}`);
      pages.push(bob);
      await bob.page.click("#join-button");
      await bob.page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
      const bobId = await bob.page.$eval("#app", (app) => (app as HTMLElement).dataset.selfId);
      await host.page.click("#people-button");
      const remove = `.moderation-actions[data-peer-id="${bobId}"] [data-action="remove"]`;
      const menu = `.moderation-menu[data-peer-id="${bobId}"] summary`;
      await host.page.waitForSelector(menu, { timeout: 15_000 });
      await host.page.click(menu);
      await host.page.click(remove);
      await bob.page.waitForSelector('#app[data-ended="4010"]', { timeout: 15_000 });
      expect(await bob.page.textContent("#relay-notice")).toContain("removed you");
      // The same join link, opened on the other relay: refused, and the page says why.
      const again = await openPage(browser, `${a.httpUrl}/r/${room}?token=${bobToken}`);
      pages.push(again);
      await again.page.click("#join-button");
      await again.page.waitForSelector('#app[data-state="refused"]', { timeout: 20_000 });
      expect(await again.page.textContent("#relay-notice")).toContain(
        "A moderator removed you from this room",
      );
    } finally {
      for (const relay of relays.splice(0)) await relay.stop();
      await redis.stop();
    }
  },
  90_000,
);
