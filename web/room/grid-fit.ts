// Tile sizes that use the window: for n tiles in a W x H area, the column count whose tiles
// cover the most of it. Tiles may stretch from the camera's 4:3 up to 16:9 (the picture keeps
// its shape inside, on black), so two people side by side fill a wide window instead of sitting
// in a third of it. Below a minimum width the grid stops shrinking tiles and scrolls instead
// (a phone with many people). On a narrow screen tiles are full width, 4:3 or flatter to fit.

export interface GridFit {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  /** True when the tiles don't fit in the height and the area scrolls. */
  scrolls: boolean;
}

export const MIN_TILE_ASPECT = 4 / 3;
export const MAX_TILE_ASPECT = 16 / 9;
/** Narrower tiles are unreadable: scroll rather than shrink below this. */
export const MIN_TILE_WIDTH = 160;

/** The tile that fits a cell, its aspect held between MIN_TILE_ASPECT and MAX_TILE_ASPECT. */
function tileIn(cellWidth: number, cellHeight: number): { width: number; height: number } {
  if (cellWidth <= 0 || cellHeight <= 0) return { width: 0, height: 0 };
  const aspect = cellWidth / cellHeight;
  if (aspect > MAX_TILE_ASPECT) return { width: cellHeight * MAX_TILE_ASPECT, height: cellHeight };
  if (aspect < MIN_TILE_ASPECT) return { width: cellWidth, height: cellWidth / MIN_TILE_ASPECT };
  return { width: cellWidth, height: cellHeight };
}

/** Narrower than this (a phone held upright), tiles keep the camera's shape and the page scrolls. */
export const NARROW_WIDTH = 560;

export function fitGrid(count: number, width: number, height: number, gap: number): GridFit {
  const n = Math.max(1, count);
  if (width < NARROW_WIDTH) return narrowGrid(n, width, height, gap);
  let best: GridFit | null = null;
  let bestArea = -1;
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    // A column count that leaves a whole row empty is never better than one less.
    if (columns > 1 && Math.ceil(n / (columns - 1)) === rows) continue;
    const tile = tileIn(
      (width - gap * (columns - 1)) / columns,
      (height - gap * (rows - 1)) / rows,
    );
    const area = tile.width * tile.height * n;
    if (area > bestArea + 0.5) {
      bestArea = area;
      best = { columns, rows, tileWidth: tile.width, tileHeight: tile.height, scrolls: false };
    }
  }
  const fit = best as GridFit;
  if (fit.tileWidth >= Math.min(MIN_TILE_WIDTH, width)) return floorSizes(fit);
  // Too many for the space: as many readable columns as fit, 4:3 tiles, and the area scrolls.
  const columns = Math.max(1, Math.floor((width + gap) / (MIN_TILE_WIDTH + gap)));
  const tileWidth = (width - gap * (columns - 1)) / columns;
  return floorSizes({
    columns,
    rows: Math.ceil(n / columns),
    tileWidth,
    tileHeight: tileWidth / MIN_TILE_ASPECT,
    scrolls: true,
  });
}

function floorSizes(fit: GridFit): GridFit {
  return { ...fit, tileWidth: Math.floor(fit.tileWidth), tileHeight: Math.floor(fit.tileHeight) };
}

/**
 * Full-width tiles, two columns from four people when both stay readable: 4:3 when they fit the
 * height, flatter (down to 16:9) so that they still do, and the area scrolls only past that.
 */
function narrowGrid(n: number, width: number, height: number, gap: number): GridFit {
  const columns = n >= 4 && (width - gap) / 2 >= MIN_TILE_WIDTH ? 2 : 1;
  const tileWidth = (width - gap * (columns - 1)) / columns;
  const rows = Math.ceil(n / columns);
  const fitting = (height - gap * (rows - 1)) / rows;
  const tileHeight = Math.min(
    tileWidth / MIN_TILE_ASPECT,
    Math.max(tileWidth / MAX_TILE_ASPECT, fitting),
  );
  return floorSizes({
    columns,
    rows,
    tileWidth,
    tileHeight,
    scrolls: rows * tileHeight + (rows - 1) * gap > height,
  });
}
