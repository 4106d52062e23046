// H.264 between the page and the CLI (issue 20's acceptance): a CLI `--codec h264 --source test`
// shows on a page, in H.264; a page's H.264 recorded by a CLI `--record` decodes clean (`ffmpeg
// -v error -i FILE -f null -` prints nothing) and lasts as long as it was recorded; the same in
// an encrypted room, where a page with the wrong key can't decrypt the CLI. Needs the CLI's
// `--codec` (the CLI side of issue 20): skipped, with a warning, by a CLI without it.
import { afterAll, afterEach, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedRelay } from "../../harness/spawned-relay.ts";
import { FFMPEG, FFPROBE } from "../../harness/tools.ts";
import { generateRoomKey } from "../../protocol/index.ts";
import { clientTestScope, runClient } from "../fixtures/client/run-client.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import {
  chooseCapture,
  joinAs,
  openPage,
  remoteTiles,
  waitForRemoteTiles,
} from "../support/room-page.ts";

const CLIENT_MAIN = join(import.meta.dir, "..", "..", "client", "main.ts");
const cliHasCodec = (() => {
  const help = Bun.spawnSync([process.execPath, CLIENT_MAIN, "--help"], { timeout: 30_000 });
  const has = `${help.stdout}${help.stderr}`.includes("--codec");
  if (!has) console.warn("skipping page ↔ CLI H.264: this CLI has no --codec");
  return has;
})();
const browserTest = test.skipIf(!hasChromium || !cliHasCodec);
const scope = clientTestScope();
/** The test's relay (the scope stops it after each test). */
let relay: SpawnedRelay | null = null;

afterEach(closeAllBrowsers);
afterAll(closeAllBrowsers);

function fileOf(dir: string, prefix: string): string {
  const name = readdirSync(dir).find((file) => file.startsWith(prefix));
  if (!name) throw new Error(`no recording of ${prefix} in ${dir}: ${readdirSync(dir).join(", ")}`);
  return join(dir, name);
}

/** What `ffmpeg -v error -i FILE -f null -` prints: nothing for a file that decodes clean. */
function decodeErrors(path: string): string {
  const result = Bun.spawnSync([FFMPEG, "-v", "error", "-i", path, "-f", "null", "-"], {
    timeout: 60_000,
  });
  return result.stdout.toString() + result.stderr.toString();
}

function videoFacts(path: string): { codec: string; duration: number } {
  const result = Bun.spawnSync(
    [FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries"].concat([
      "stream=codec_name:format=duration",
      "-of",
      "json",
      path,
    ]),
    { timeout: 30_000 },
  );
  const json = JSON.parse(result.stdout.toString()) as {
    streams: Array<{ codec_name: string }>;
    format: { duration: string };
  };
  return { codec: json.streams[0]?.codec_name ?? "", duration: Number(json.format.duration) };
}

async function shareCamera(page: import("playwright-core").Page): Promise<void> {
  await chooseCapture(page, { size: "320x240", fps: "15", layers: "1" });
  await page.click("#share-button");
  await page.waitForSelector('#app[data-camera="on"]', { timeout: 15_000 });
}

/** Page and CLI in one room, H.264 both ways; `key`: an encrypted room. */
async function pageAndCli(room: string, key: string | null): Promise<void> {
  relay = await scope.startRelay();
  const dir = scope.tempDir("framecast-page-h264-");
  const where = ["--relay", relay.wsUrl, "--room", room];
  const keyArgs = key ? ["--e2ee-key", key] : [];
  const browser = await launchBrowser();
  const pageUrl = `${relay.httpUrl}/r/${room}${key ? `#key=${key}` : ""}`;
  const page = await openPage(browser, pageUrl);
  await joinAs(page.page, "pagey");
  const sender = runClient(
    ["--source", "test", "--codec", "h264", "--size", "320x240", "--fps", "15"].concat([
      "--name",
      "cli",
      ...keyArgs,
      ...where,
    ]),
  );
  // CLI → page: the tile shows the CLI's H.264.
  await waitForRemoteTiles(page.page, ["cli"], 30, 30_000);
  await page.page.waitForSelector('#tiles .tile[data-name="cli"][data-codec="h264"]', {
    timeout: 20_000,
  });
  const [cliTile] = await remoteTiles(page.page);
  expect(cliTile).toMatchObject({ failed: "0", e2ee: "ok" });
  await sender.stop();

  // Page → CLI --record.
  const recorder = runClient(["--no-send", "--name", "rec", "--record", dir, ...keyArgs, ...where]);
  await recorder.waitFor(/joined room/, 20_000);
  await shareCamera(page.page);
  await recorder.waitFor(/recording pagey/, 30_000);
  const started = performance.now();
  await Bun.sleep(5000);
  await page.page.click("#share-button"); // stop sharing
  const sentFor = (performance.now() - started) / 1000;
  expect(await recorder.stop()).toBe(0);
  const summary = /recorded pagey: .*/.exec(recorder.output())?.[0] ?? "no summary";
  const file = fileOf(dir, "pagey-");
  expect(decodeErrors(file)).toBe("");
  const facts = videoFacts(file);
  console.log(`${summary}; ${facts.duration} s in the file, ${sentFor.toFixed(2)} s recorded`);
  expect(facts.codec).toBe("h264");
  // The file spans the recording time (its first frame came a little before `started`).
  expect(Math.abs(facts.duration - sentFor)).toBeLessThan(1.5);
  expect(page.errors).toEqual([]);
}

browserTest(
  "CLI --codec h264 shows on a page; the page's H.264 recorded by the CLI decodes clean",
  () => pageAndCli("page-cli-h264", null),
  120_000,
);

browserTest(
  "encrypted room: CLI and page H.264 both ways with the key; a page with the wrong key can't decrypt",
  async () => {
    const key = generateRoomKey();
    await pageAndCli("page-cli-sealed", key);
    // Wrong key: the CLI's H.264 says can't decrypt on the page's tile.
    const where = ["--relay", (relay as SpawnedRelay).wsUrl, "--room", "page-cli-sealed"];
    runClient(
      ["--source", "test", "--codec", "h264", "--size", "320x240", "--fps", "15"].concat([
        "--name",
        "cli2",
        "--e2ee-key",
        key,
        ...where,
      ]),
    );
    const browser = await launchBrowser();
    const eve = await openPage(
      browser,
      `${(relay as SpawnedRelay).httpUrl}/r/page-cli-sealed#key=${generateRoomKey()}`,
    );
    await joinAs(eve.page, "eve");
    await eve.page.waitForFunction(
      () => {
        const tile = document.querySelector<HTMLElement>('.tile[data-name="cli2"]');
        return tile?.dataset.e2ee === "cant_decrypt" && Number(tile.dataset.undecryptable) >= 5;
      },
      undefined,
      { timeout: 20_000 },
    );
    const [tile] = (await remoteTiles(eve.page)).filter((t) => t.name === "cli2");
    expect(tile?.frames).toBe("0");
  },
  150_000,
);
