// The relay serves the browser client: the page at / and /r/ROOM, its bundled assets, while a
// WebSocket upgrade on / still speaks the old base64 protocol.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { TestPeer } from "../support/peer.ts";

let relay: SpawnedRelay;

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  await relay?.stop();
});

function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] as string);
}

test("GET / and GET /r/ROOM serve the page; its script and stylesheet are bundled and cacheable", async () => {
  const home = await fetch(`${relay.httpUrl}/`);
  expect(home.status).toBe(200);
  expect(home.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(home.headers.get("content-security-policy")).toContain("default-src 'self'");
  const html = await home.text();
  expect(html).toContain('<main id="app"');
  const room = await fetch(`${relay.httpUrl}/r/demo-1`);
  expect(room.status).toBe(200);
  expect(await room.text()).toBe(html);

  const assets = assetPaths(html);
  expect(assets.some((path) => path.endsWith(".js"))).toBe(true);
  expect(assets.some((path) => path.endsWith(".css"))).toBe(true);
  for (const path of assets) {
    const asset = await fetch(`${relay.httpUrl}${path}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const body = await asset.text();
    if (path.endsWith(".js")) {
      expect(asset.headers.get("content-type")).toContain("javascript");
      // The page uses the shared protocol module (its error text is bundled in), not a copy.
      expect(body).toContain("/v1/rooms/");
    } else {
      expect(asset.headers.get("content-type")).toContain("text/css");
    }
  }
  expect((await fetch(`${relay.httpUrl}/assets/nope.js`)).status).toBe(404);
  expect((await fetch(`${relay.httpUrl}/r/not%20a%20room`)).status).toBe(404);
  expect(relay.logs.some((entry) => entry.event === "web_page_built")).toBe(true);
}, 30_000);

test("a WebSocket upgrade on / still joins the lobby on the old protocol", async () => {
  const watcher = await TestPeer.join(relay.wsUrl, "lobby", "watcher");
  const legacy = await TestPeer.connect(`${relay.wsUrl}/?name=old-timer`);
  const join = await watcher.waitForControl("join");
  expect(join.peer).toMatchObject({ name: "old-timer", legacy: true });
  // The old protocol has no welcome: nothing arrives on the legacy socket by itself.
  await Bun.sleep(200);
  expect(legacy.controls).toEqual([]);
  legacy.close();
  watcher.close();
}, 15_000);
