// Drives the browser client in tests through its DOM: the join form, the share button, and the
// data-* attributes the page keeps on #app and on every tile.
import type { Browser, BrowserContext, Page } from "playwright-core";

export type TileData = Record<string, string | undefined>;

export interface Participant {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, to show when a test fails. */
  errors: string[];
}

/** A new browser context (own storage, like another person's browser) with the page at `url`. */
export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1000, height: 700 },
): Promise<Participant> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  await page.goto(url, { timeout: 15_000 });
  return { context, page, errors };
}

/** Fills the form and joins; resolves once the relay has welcomed the page. */
export async function joinAs(page: Page, name: string, room?: string): Promise<void> {
  if (room !== undefined) await page.fill("#room-input", room);
  await page.fill("#name-input", name);
  await page.click("#join-button");
  await page.waitForSelector('#app[data-state="live"]', { timeout: 15_000 });
}

/** Opens the Settings panel (the capture settings live there, behind the bar's Settings button). */
export async function openSettings(page: Page): Promise<void> {
  if (await page.isHidden("#settings")) await page.click("#settings-button");
  await page.waitForSelector("#settings", { state: "visible", timeout: 5000 });
}

/** Picks capture settings in the Settings panel, then closes it again. */
export async function chooseCapture(
  page: Page,
  choice: { size?: string; fps?: string; layers?: string; codec?: string },
): Promise<void> {
  await openSettings(page);
  if (choice.size) await page.selectOption("#size-select", choice.size);
  if (choice.fps) await page.selectOption("#fps-select", choice.fps);
  if (choice.layers) await page.selectOption("#layers-select", choice.layers);
  if (choice.codec !== undefined) await page.selectOption("#codec-select", choice.codec);
  await page.click("#settings-button");
  await page.waitForSelector("#settings", { state: "hidden", timeout: 5000 });
}

export async function shareCamera(page: Page, size = "320x240", fps = "10"): Promise<void> {
  await chooseCapture(page, { size, fps });
  await page.click("#share-button");
}

export function appData(page: Page): Promise<TileData> {
  return page.$eval("#app", (app) => ({ ...(app as HTMLElement).dataset }));
}

export function remoteTiles(page: Page): Promise<TileData[]> {
  return page.$$eval("#tiles .tile[data-peer-id]", (tiles) =>
    tiles.map((tile) => ({ ...(tile as HTMLElement).dataset })),
  );
}

/** Waits until the page shows exactly the tiles `names`, each with at least `minFrames` drawn. */
export async function waitForRemoteTiles(
  page: Page,
  names: string[],
  minFrames: number,
  timeoutMs = 30_000,
): Promise<TileData[]> {
  try {
    await page.waitForFunction(
      ({ names, minFrames }) => {
        const tiles = [...document.querySelectorAll<HTMLElement>("#tiles .tile[data-peer-id]")];
        return (
          tiles.length === names.length &&
          names.every((name) =>
            tiles.some(
              (tile) => tile.dataset.name === name && Number(tile.dataset.frames) >= minFrames,
            ),
          )
        );
      },
      { names, minFrames },
      { timeout: timeoutMs, polling: 100 },
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message.split("\n")[0]}: wanted ${names.join(", ")} with ${minFrames}+ frames, ` +
        `page has ${JSON.stringify(await remoteTiles(page))}, app ${JSON.stringify(await appData(page))}`,
    );
  }
  return remoteTiles(page);
}

/** Frames drawn per tile name. */
export async function framesByName(page: Page): Promise<Map<string, number>> {
  return new Map((await remoteTiles(page)).map((tile) => [tile.name ?? "", Number(tile.frames)]));
}
