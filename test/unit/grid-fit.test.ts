// The tile grid on a phone held upright (web/room/grid-fit.ts): full-width tiles, 4:3 when they
// fit the height, flatter down to 16:9 so that they still do, scrolling only past that.
import { expect, test } from "bun:test";
import { fitGrid, MAX_TILE_ASPECT, MIN_TILE_ASPECT } from "../../web/room/grid-fit.ts";

const GAP = 10;

test("two people on a phone: full width, the camera's 4:3", () => {
  const fit = fitGrid(2, 366, 700, GAP);
  expect(fit).toMatchObject({ columns: 1, rows: 2, tileWidth: 366, scrolls: false });
  expect(fit.tileHeight).toBe(Math.floor(366 / MIN_TILE_ASPECT));
});

test("three people on a phone: flatter tiles so all three fit the height", () => {
  const fit = fitGrid(3, 366, 700, GAP);
  expect(fit).toMatchObject({ columns: 1, rows: 3, tileWidth: 366, scrolls: false });
  expect(3 * fit.tileHeight + 2 * GAP).toBeLessThanOrEqual(700);
  expect(fit.tileWidth / fit.tileHeight).toBeLessThanOrEqual(MAX_TILE_ASPECT + 0.01);
});

test("sixteen people on a phone: two columns, no flatter than 16:9, and the area scrolls", () => {
  const fit = fitGrid(16, 366, 700, GAP);
  expect(fit.columns).toBe(2);
  expect(fit.scrolls).toBe(true);
  expect(fit.tileWidth / fit.tileHeight).toBeLessThanOrEqual(MAX_TILE_ASPECT + 0.02);
});
