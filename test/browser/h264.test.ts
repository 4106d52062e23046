// The page's H.264 (docs/BROWSER.md, "Video codec"): two pages send each other WebCodecs H.264 at
// 640x480@15 and every tile keeps up; what a page receives per frame is at most half of what the
// same page sends as JPEG (a JPEG-only peer in the room makes it send both, from one canvas
// grab); a page without VideoEncoder falls back to JPEG; 30 receivers joining within a second
// cost a page sender at most 3 key frames; a libx264 stream (the CLI's) plays; a sealed room; a
// page behind a slow downlink keeps drawing; and a mixed room (H.264 pages, a v1 peer that
// didn't declare codecs=h264, an old-protocol client) where everyone sees everyone.
import { afterAll, afterEach, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { startThrottleProxy } from "../../harness/throttle-proxy.ts";
import {
  encodeH264Frame,
  encodeVideoFrame,
  FrameKind,
  framePayload,
  generateRoomKey,
  isKeyFrame,
  LEGACY_ROOM,
  readSenderId,
} from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { encodeTestStream } from "../support/h264-stream.ts";
import { perFrame, recordFrames } from "../support/page-frames.ts";
import { TestPeer } from "../support/peer.ts";
import {
  appData,
  chooseCapture,
  framesByName,
  joinAs,
  openPage,
  type Participant,
  remoteTiles,
  waitForRemoteTiles,
} from "../support/room-page.ts";

const browserTest = test.skipIf(!hasChromium);
let relay: SpawnedRelay | null = null;
const peers: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  await closeAllBrowsers();
  await relay?.stop();
  relay = null;
});
afterAll(closeAllBrowsers);

async function share(page: Page, size: string, fps: string, layers = "1"): Promise<void> {
  await chooseCapture(page, { size, fps, layers });
  await page.click("#share-button");
  await page.waitForSelector('#app[data-camera="on"]', { timeout: 15_000 });
}

function selfData(page: Page): Promise<Record<string, string | undefined>> {
  return page.$eval(".tile.self", (tile) => ({ ...(tile as HTMLElement).dataset }));
}

/** Waits until the page's own tile says it sends `codec` ("h264", "jpeg", "h264+jpeg"). */
async function waitForSending(page: Page, codec: string, timeoutMs = 20_000): Promise<void> {
  try {
    await page.waitForSelector(`.tile.self[data-codec="${codec}"]`, { timeout: timeoutMs });
  } catch {
    throw new Error(`page does not send ${codec}: self ${JSON.stringify(await selfData(page))}`);
  }
}

/** Waits until `page`'s tile of `name` shows frames of `codec`. */
async function waitForCodec(page: Page, name: string, codec: string): Promise<void> {
  await page.waitForSelector(`#tiles .tile[data-name="${name}"][data-codec="${codec}"]`, {
    timeout: 20_000,
  });
}

async function openJoined(
  browser: Browser,
  room: string,
  name: string,
  initScript?: () => void,
): Promise<Participant & { frames: ReturnType<typeof recordFrames> }> {
  const url = `${(relay as SpawnedRelay).httpUrl}/r/${room}`;
  if (!initScript) {
    const participant = await openPage(browser, "about:blank");
    const frames = recordFrames(participant.page);
    await participant.page.goto(url, { timeout: 15_000 });
    await joinAs(participant.page, name);
    return { ...participant, frames };
  }
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  await context.addInitScript(initScript);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  const frames = recordFrames(page);
  await page.goto(url, { timeout: 15_000 });
  await joinAs(page, name);
  return { context, page, errors, frames };
}

browserTest(
  "two pages send H.264 at 640x480@15: every tile ≥ 12 fps, ≤ 1/2 of the page's JPEG bytes per frame",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser();
    const room = "h264-pair";
    const a = await openJoined(browser, room, "alice");
    const b = await openJoined(browser, room, "bob");
    await share(a.page, "640x480", "15");
    await share(b.page, "640x480", "15");
    expect((await appData(a.page)).videoCodec).toBe("h264");
    // Each is the other's H.264 receiver: kind 4 only (nobody needs JPEG).
    await waitForSending(a.page, "h264");
    await waitForSending(b.page, "h264");
    await waitForRemoteTiles(a.page, ["bob"], 15, 30_000);
    await waitForRemoteTiles(b.page, ["alice"], 15, 30_000);
    await waitForCodec(a.page, "bob", "h264");
    await waitForCodec(b.page, "alice", "h264");

    const WINDOW_MS = 6000;
    const before = [await framesByName(a.page), await framesByName(b.page)];
    const from = Date.now();
    await Bun.sleep(WINDOW_MS);
    const to = Date.now();
    const after = [await framesByName(a.page), await framesByName(b.page)];
    const seconds = (to - from) / 1000;
    const fpsA = ((after[0]?.get("bob") ?? 0) - (before[0]?.get("bob") ?? 0)) / seconds;
    const fpsB = ((after[1]?.get("alice") ?? 0) - (before[1]?.get("alice") ?? 0)) / seconds;
    const bobId = Number((await appData(b.page)).selfId);
    const h264In = perFrame(
      a.frames.received,
      { kind: FrameKind.VideoH264, sender: bobId },
      from,
      to,
    );
    console.log(
      `H.264 640x480@15: alice shows bob at ${fpsA.toFixed(1)} fps, bob shows alice at ${fpsB.toFixed(1)} fps; ` +
        `alice receives ${h264In.count} H.264 frames, ${h264In.bytesPerFrame.toFixed(0)} bytes per frame`,
    );
    expect(fpsA).toBeGreaterThanOrEqual(12);
    expect(fpsB).toBeGreaterThanOrEqual(12);
    // Chromium's encoder takes L1T3: temporal layers 0-2 in flag bits 4-5, key frames on layer 0.
    const bobsFrames = a.frames.received.filter((f) => f.kind === FrameKind.VideoH264);
    expect(new Set(bobsFrames.map((f) => f.temporal))).toEqual(new Set([0, 1, 2]));
    expect(bobsFrames.filter((f) => f.key).every((f) => f.temporal === 0)).toBe(true);

    // A v1 peer that decodes only JPEG joins: both pages now send JPEG as well, from the same
    // grab. Alice's own JPEG frames are what she would send without H.264.
    const jpegOnly = await TestPeer.join(relay.wsUrl, room, "jpeg-only");
    peers.push(jpegOnly);
    await waitForSending(a.page, "h264+jpeg");
    await waitForSending(b.page, "h264+jpeg");
    const from2 = Date.now();
    await Bun.sleep(4000);
    const to2 = Date.now();
    const jpegOut = perFrame(a.frames.sent, { kind: FrameKind.VideoJpeg, layer: 0 }, from2, to2);
    const h264In2 = perFrame(
      a.frames.received,
      { kind: FrameKind.VideoH264, sender: bobId },
      from2,
      to2,
    );
    const ratio = h264In2.bytesPerFrame / jpegOut.bytesPerFrame;
    console.log(
      `alice sends JPEG ${jpegOut.bytesPerFrame.toFixed(0)} bytes per frame (${jpegOut.count} frames); ` +
        `receives H.264 ${h264In2.bytesPerFrame.toFixed(0)} bytes per frame (${h264In2.count}): ${(ratio * 100).toFixed(0)}%`,
    );
    expect(jpegOut.count).toBeGreaterThan(20);
    expect(h264In2.count).toBeGreaterThan(20);
    expect(ratio).toBeLessThanOrEqual(0.5);
    // The JPEG-only peer sees both pages, as JPEG.
    const jpegSenders = new Set(
      jpegOnly.binary.filter((m) => m[1] === FrameKind.VideoJpeg).map((m) => readSenderId(m)),
    );
    expect(jpegOnly.binary.some((m) => m[1] === FrameKind.VideoH264)).toBe(false);
    expect(jpegSenders.size).toBe(2);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  },
  120_000,
);

browserTest(
  "a page without VideoEncoder sends JPEG, and it and an H.264 page see each other",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser();
    const room = "h264-fallback";
    const old = await openJoined(browser, room, "no-encoder", () => {
      // biome-ignore lint/suspicious/noExplicitAny: removing a platform API for the test
      delete (window as any).VideoEncoder;
    });
    const modern = await openJoined(browser, room, "modern");
    expect((await appData(old.page)).videoCodec).toBe("jpeg");
    expect((await appData(modern.page)).videoCodec).toBe("h264");
    await share(old.page, "320x240", "10");
    await share(modern.page, "320x240", "10");
    await waitForRemoteTiles(old.page, ["modern"], 10, 30_000);
    await waitForRemoteTiles(modern.page, ["no-encoder"], 10, 30_000);
    await waitForSending(old.page, "jpeg");
    // The page without an encoder still decodes: it gets the other's H.264.
    await waitForCodec(old.page, "modern", "h264");
    await waitForCodec(modern.page, "no-encoder", "jpeg");
    expect(old.frames.sent.some((f) => f.kind === FrameKind.VideoH264)).toBe(false);
    expect(old.errors).toEqual([]);
    expect(modern.errors).toEqual([]);
  },
  90_000,
);

browserTest(
  "30 receivers joining within one second cost a page sender at most 3 key frames",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser();
    const room = "h264-joiners";
    const sender = await openJoined(browser, room, "sender");
    const watcher = await AckingPeer.join(relay.wsUrl, room, "watcher", "auto", true, false, true);
    peers.push(watcher);
    await share(sender.page, "640x480", "15");
    await waitForSending(sender.page, "h264");
    const h264Of = (peer: AckingPeer) => peer.frames.filter((f) => f[1] === FrameKind.VideoH264);
    await watcher.waitFor(() => h264Of(watcher).length >= 30, "30 H.264 frames", 30_000);
    await Bun.sleep(2500); // past the start's key frames

    const JOINERS = 30;
    const from = Date.now();
    const joiners = await Promise.all(
      Array.from({ length: JOINERS }, async (_, i) => {
        await Bun.sleep(i * 20); // all within 600 ms
        return AckingPeer.join(relay?.wsUrl ?? "", room, `joiner-${i}`, "auto", true, false, true);
      }),
    );
    peers.push(...joiners);
    const joinedAt = Date.now();
    for (const joiner of joiners) {
      await joiner.waitFor(() => h264Of(joiner).length >= 3, "H.264 frames at a joiner", 15_000);
    }
    await Bun.sleep(Math.max(0, joinedAt + 1000 - Date.now()));
    const keys = perFrame(
      sender.frames.sent,
      { kind: FrameKind.VideoH264, key: true },
      from,
      joinedAt + 1000,
    );
    console.log(
      `${JOINERS} joiners in ${joinedAt - from} ms: the page sent ${keys.count} key frames ` +
        `from the first join until 1 s after the last`,
    );
    expect(joinedAt - from).toBeLessThan(1500);
    expect(keys.count).toBeGreaterThanOrEqual(1);
    expect(keys.count).toBeLessThanOrEqual(3);
    // The relay's rule: each joiner's first H.264 frame is a key frame.
    for (const joiner of joiners) expect(isKeyFrame(h264Of(joiner)[0] as Uint8Array)).toBe(true);
    expect(sender.errors).toEqual([]);
  },
  120_000,
);

/** Width and height from a JPEG's SOF marker (baseline or progressive). */
function jpegSize(jpeg: Uint8Array): string | null {
  for (let i = 2; i + 8 < jpeg.byteLength; ) {
    if (jpeg[i] !== 0xff) return null;
    const marker = jpeg[i + 1] as number;
    const length = ((jpeg[i + 2] as number) << 8) | (jpeg[i + 3] as number);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      const height = ((jpeg[i + 5] as number) << 8) | (jpeg[i + 6] as number);
      const width = ((jpeg[i + 7] as number) << 8) | (jpeg[i + 8] as number);
      return `${width}x${height}`;
    }
    i += 2 + length;
  }
  return null;
}

browserTest(
  "mixed room: H.264 pages, a v1 peer without codecs=h264, an old-protocol client see each other",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser();
    const room = LEGACY_ROOM; // the old protocol's only room
    const a = await openJoined(browser, room, "alice");
    const b = await openJoined(browser, room, "bob");
    await share(a.page, "640x480", "10");
    await share(b.page, "320x240", "10");
    // A v1 peer that declares no codecs: JPEG only, both ways.
    const v1 = await TestPeer.join(relay.wsUrl, room, "v1");
    peers.push(v1);
    const v1Jpegs = [makeJpeg(160, 120, 3), makeJpeg(160, 120, 4)];
    let v1Sequence = 0;
    const v1Timer = setInterval(() => {
      const jpeg = v1Jpegs[v1Sequence % 2] as Uint8Array;
      v1.ws.send(encodeVideoFrame(jpeg, Date.now(), v1Sequence++));
    }, 100);
    // The old protocol: base64 JPEG text at "/", no header, no JSON.
    const legacy = await TestPeer.connect(`${relay.wsUrl}/`);
    peers.push(legacy);
    const legacyJpeg = Buffer.from(makeJpeg(48, 32, 5)).toString("base64");
    const legacyTimer = setInterval(() => legacy.ws.send(legacyJpeg), 100);
    try {
      const legacyJoin = await v1.waitForControl("join", (j) => j.peer.legacy, 10_000);
      const names = ["bob", "v1", legacyJoin.peer.name];
      await waitForRemoteTiles(a.page, names, 5, 30_000);
      await waitForRemoteTiles(b.page, ["alice", "v1", legacyJoin.peer.name], 5, 30_000);
      // The pages see each other in H.264 and keep JPEG for the others (codecs_needed).
      await waitForCodec(a.page, "bob", "h264");
      await waitForCodec(b.page, "alice", "h264");
      await waitForCodec(a.page, "v1", "jpeg");
      await waitForSending(a.page, "h264+jpeg");
      await waitForSending(b.page, "h264+jpeg");
      // The v1 peer gets both pages' and the old client's JPEGs, and no H.264.
      const [aliceId, bobId] = [
        Number((await appData(a.page)).selfId),
        Number((await appData(b.page)).selfId),
      ];
      const jpegFrom = (id: number) =>
        v1.binary.filter((m) => m[1] === FrameKind.VideoJpeg && readSenderId(m) === id).length;
      await v1.waitFor(
        () => jpegFrom(aliceId) >= 5 && jpegFrom(bobId) >= 5 && jpegFrom(legacyJoin.peer.id) >= 5,
        "JPEGs of alice, bob and the old client at the v1 peer",
        20_000,
      );
      expect(v1.binary.some((m) => m[1] === FrameKind.VideoH264)).toBe(false);
      // The old client gets everyone's full-size JPEG as base64: alice's 640x480, bob's
      // 320x240, the v1 peer's 160x120.
      const sizesAtLegacy = () =>
        new Set(legacy.texts.map((text) => jpegSize(new Uint8Array(Buffer.from(text, "base64")))));
      await legacy.waitFor(
        () => ["640x480", "320x240", "160x120"].every((size) => sizesAtLegacy().has(size)),
        "every sender's JPEG at the old client",
        20_000,
      );
      // What the pages showed meanwhile: every tile drew frames.
      for (const [page, others] of [
        [a.page, names],
        [b.page, ["alice", "v1", legacyJoin.peer.name]],
      ] as const) {
        const frames = await framesByName(page);
        for (const name of others) expect(frames.get(name) ?? 0).toBeGreaterThanOrEqual(5);
      }
      expect(framePayload(v1.binary[0] as Uint8Array).byteLength).toBeGreaterThan(0);
      expect(a.errors).toEqual([]);
      expect(b.errors).toEqual([]);
    } finally {
      clearInterval(v1Timer);
      clearInterval(legacyTimer);
    }
  },
  120_000,
);

browserTest(
  "encrypted room: two pages see each other's sealed H.264; a page with the wrong key can't decrypt",
  async () => {
    relay = await startRelay();
    const browser = await launchBrowser();
    const room = "h264-sealed";
    const ana = await openPage(browser, "about:blank");
    const anaFrames = recordFrames(ana.page);
    await ana.page.goto(`${relay.httpUrl}/r/${room}`, { timeout: 15_000 });
    await ana.page.check("#e2ee-input");
    await joinAs(ana.page, "ana");
    const link = await ana.page.$eval("#room-link", (el) => (el as HTMLAnchorElement).href);
    const ben = await openPage(browser, link);
    await joinAs(ben.page, "ben");
    const eve = await openPage(browser, `${relay.httpUrl}/r/${room}#key=${generateRoomKey()}`);
    await joinAs(eve.page, "eve");
    await share(ana.page, "320x240", "10");
    await share(ben.page, "320x240", "10");
    await waitForRemoteTiles(ana.page, ["ben"], 10, 30_000);
    await waitForRemoteTiles(ben.page, ["ana"], 10, 30_000);
    await waitForCodec(ana.page, "ben", "h264");
    await waitForCodec(ben.page, "ana", "h264");
    const tile = (await remoteTiles(ben.page))[0];
    expect(tile).toMatchObject({ e2ee: "ok", failed: "0", undecryptable: "0" });
    // Every kind 4 frame ana sent is sealed.
    const h264Sent = anaFrames.sent.filter((f) => f.kind === FrameKind.VideoH264);
    expect(h264Sent.length).toBeGreaterThan(5);
    expect(h264Sent.every((f) => f.encrypted)).toBe(true);
    await eve.page.waitForFunction(
      () =>
        ["ana", "ben"].every((name) => {
          const tile = document.querySelector<HTMLElement>(`.tile[data-name="${name}"]`);
          return tile?.dataset.e2ee === "cant_decrypt" && Number(tile.dataset.undecryptable) >= 5;
        }),
      undefined,
      { timeout: 20_000 },
    );
    for (const tile of await remoteTiles(eve.page)) expect(tile.frames).toBe("0");
    expect(ana.errors).toEqual([]);
    expect(ben.errors).toEqual([]);
  },
  90_000,
);

browserTest(
  "a libx264 stream (the CLI's settings: High profile, 1 s GOP, AUDs) plays on the page",
  async () => {
    relay = await startRelay();
    const stream = encodeTestStream(3);
    try {
      const browser = await launchBrowser();
      const room = "h264-x264";
      const viewer = await openJoined(browser, room, "viewer");
      const x264 = await TestPeer.join(relay.wsUrl, room, "x264");
      peers.push(x264);
      // Round and round the 3 s stream at 30 fps: each lap starts on its IDR.
      let sequence = 0;
      const timer = setInterval(() => {
        const unit = stream.units[sequence % stream.units.length];
        if (!unit) return;
        x264.ws.send(encodeH264Frame(unit.bytes, Date.now(), sequence++, unit.key));
      }, 1000 / 30);
      try {
        await waitForRemoteTiles(viewer.page, ["x264"], 60, 30_000);
        await waitForCodec(viewer.page, "x264", "h264");
        const [tile] = await remoteTiles(viewer.page);
        expect(tile?.failed).toBe("0");
        // The canvas took the stream's size from the decoded pictures.
        const size = await viewer.page.$eval(
          '#tiles .tile[data-name="x264"] canvas',
          (canvas) =>
            `${(canvas as HTMLCanvasElement).width}x${(canvas as HTMLCanvasElement).height}`,
        );
        expect(size).toBe("640x480");
      } finally {
        clearInterval(timer);
      }
      expect(viewer.errors).toEqual([]);
    } finally {
      stream.cleanup();
    }
  },
  90_000,
);

browserTest(
  "a page behind a slow downlink keeps drawing another page's H.264, without a decode failure",
  async () => {
    relay = await startRelay();
    // The receiving page's whole connection (page and WebSocket) through a 30 kB/s downlink:
    // less than the sender's ~45 kB/s of H.264, so the relay must hold frames back and keep
    // the stream decodable (docs/PROTOCOL.md, "H.264").
    const proxy = await startThrottleProxy(relay.port, 30_000);
    try {
      const browser = await launchBrowser();
      const room = "h264-slow";
      const sender = await openJoined(browser, room, "sender");
      const slow = await openPage(browser, `http://127.0.0.1:${proxy.port}/r/${room}`);
      await joinAs(slow.page, "slow");
      await share(sender.page, "640x480", "15");
      await waitForRemoteTiles(slow.page, ["sender"], 10, 40_000);
      await waitForCodec(slow.page, "sender", "h264");
      const before = await framesByName(slow.page);
      await Bun.sleep(6000);
      const after = await framesByName(slow.page);
      const [tile] = await remoteTiles(slow.page);
      const drawn = (after.get("sender") ?? 0) - (before.get("sender") ?? 0);
      console.log(
        `behind 30 kB/s: ${(drawn / 6).toFixed(1)} fps drawn, ${tile?.failed} failed, ` +
          `${tile?.dropped} dropped waiting for a key frame, sender made ${(await selfData(sender.page)).keyFrames} key frames`,
      );
      expect(drawn).toBeGreaterThan(6);
      expect(tile?.failed).toBe("0");
      expect(slow.errors).toEqual([]);
    } finally {
      await proxy.close();
    }
  },
  90_000,
);
