// Places the tiles in the space between the header and the control bar at the bottom: a grid
// sized by grid-fit.ts, or one pinned tile large with everyone else in a strip beneath it. On a
// narrow screen (a phone) your own tile is a small overlay in the corner and the others fill
// the space. Tiles are positioned absolutely from here, so a tile never moves in the DOM (moving
// a <video> would pause it). The layout follows the window, the notices above (they come and
// go), the bar below and the number of tiles.

import type { TileActions, TileView } from "../watch/tile-view.ts";
import { fitGrid, MAX_TILE_ASPECT, MIN_TILE_ASPECT, NARROW_WIDTH } from "./grid-fit.ts";

const GAP = 10;
/** Room kept under the tiles (the page's own padding). */
const BOTTOM_MARGIN = 12;
/** The tiles get at least this much height, even on a short screen (the page then scrolls). */
const MIN_AREA_HEIGHT = 240;
const STRIP_MIN = 72;
const STRIP_MAX = 150;
/** Your own tile as an overlay on a phone: this share of the width, 4:3, this far from the edges. */
const OVERLAY_SHARE = 0.32;
const OVERLAY_MAX_WIDTH = 180;
const OVERLAY_INSET = 8;

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export class CallLayout implements TileActions {
  readonly #container: HTMLElement;
  /** The fixed control bar at the bottom: the tiles end above it. */
  readonly #bar: HTMLElement | null;
  #pinned: HTMLElement | null = null;
  #lastKey = "";

  constructor(container: HTMLElement, bar: HTMLElement | null = null) {
    this.#container = container;
    this.#bar = bar;
    globalThis.addEventListener("resize", () => this.update());
    // The area narrows when a side panel opens (the chat on a wide screen): lay out at once.
    new ResizeObserver(() => this.update()).observe(container);
    document.addEventListener("fullscreenchange", () => this.update(true));
  }

  get pinned(): HTMLElement | null {
    return this.#pinned;
  }

  togglePin(tile: TileView): void {
    this.pin(this.#pinned === tile.element ? null : tile.element);
  }

  pin(element: HTMLElement | null): void {
    if (this.#pinned) this.#pinned.dataset.pinned = "false";
    this.#pinned = element;
    if (element) element.dataset.pinned = "true";
    for (const button of this.#container.querySelectorAll<HTMLElement>(".tile .pin")) {
      button.setAttribute("aria-pressed", String(button.closest(".tile") === element));
    }
    this.update(true);
  }

  /** Lays the tiles out again if anything it depends on changed (cheap to call often). */
  update(force = false): void {
    const tiles = [...this.#container.children].filter(
      (child): child is HTMLElement => child instanceof HTMLElement && child.matches(".tile"),
    );
    if (this.#pinned && !tiles.includes(this.#pinned)) this.pin(null);
    const width = this.#container.clientWidth;
    const top = this.#container.getBoundingClientRect().top + globalThis.scrollY;
    const bar = this.#bar && !this.#bar.hidden ? this.#bar.offsetHeight : 0;
    const below = bar > 0 ? bar + GAP : BOTTOM_MARGIN;
    const height = Math.max(MIN_AREA_HEIGHT, Math.floor(innerHeight - top - below));
    // A phone with others here: your own tile floats in the corner (unless you pinned it).
    const self = tiles.find((tile) => tile.dataset.self === "true");
    const overlay =
      width < NARROW_WIDTH && tiles.length > 1 && self !== undefined && self !== this.#pinned
        ? self
        : null;
    const key = `${tiles.length}:${width}:${height}:${this.#pinned ? tiles.indexOf(this.#pinned) : -1}:${overlay !== null}`;
    if (!force && key === this.#lastKey) return;
    this.#lastKey = key;
    this.#container.dataset.count = String(tiles.length);
    if (tiles.length === 0) {
      this.#container.style.height = "0px";
      return;
    }
    const pinned = this.#pinned;
    const laid = overlay ? tiles.filter((tile) => tile !== overlay) : tiles;
    const boxes = pinned
      ? this.#pinnedBoxes(laid, pinned, width, height)
      : this.#gridBoxes(laid.length, width, height);
    for (const tile of tiles) {
      if (tile === overlay) tile.dataset.overlay = "true";
      else delete tile.dataset.overlay;
    }
    let bottom = 0;
    tiles.forEach((tile) => {
      const box = tile === overlay ? overlayBox(width, height) : (boxes[laid.indexOf(tile)] as Box);
      Object.assign(tile.style, {
        left: `${box.left}px`,
        top: `${box.top}px`,
        width: `${box.width}px`,
        height: `${box.height}px`,
      });
      bottom = Math.max(bottom, box.top + box.height);
    });
    this.#container.style.height = `${Math.max(height, bottom)}px`;
  }

  #gridBoxes(count: number, width: number, height: number): Box[] {
    const fit = fitGrid(count, width, height, GAP);
    this.#container.dataset.layout = "grid";
    this.#container.dataset.columns = String(fit.columns);
    const rowsHeight = fit.rows * fit.tileHeight + (fit.rows - 1) * GAP;
    // Centred in the space; on a phone from the top, leaving the corner below to your own tile.
    const top = fit.scrolls || width < NARROW_WIDTH ? 0 : Math.max(0, (height - rowsHeight) / 2);
    const boxes: Box[] = [];
    for (let i = 0; i < count; i++) {
      const row = Math.floor(i / fit.columns);
      // The last row, if short, is centred like the others.
      const inRow = Math.min(fit.columns, count - row * fit.columns);
      const rowWidth = inRow * fit.tileWidth + (inRow - 1) * GAP;
      const column = i % fit.columns;
      boxes.push({
        left: Math.round((width - rowWidth) / 2 + column * (fit.tileWidth + GAP)),
        top: Math.round(top + row * (fit.tileHeight + GAP)),
        width: fit.tileWidth,
        height: fit.tileHeight,
      });
    }
    return boxes;
  }

  #pinnedBoxes(tiles: HTMLElement[], pinned: HTMLElement, width: number, height: number): Box[] {
    this.#container.dataset.layout = "pinned";
    this.#container.dataset.columns = "1";
    const others = tiles.length - 1;
    const strip =
      others > 0 ? Math.round(Math.min(STRIP_MAX, Math.max(STRIP_MIN, height * 0.2))) : 0;
    const stageHeight = others > 0 ? height - strip - GAP : height;
    const stage = fitOne(width, stageHeight);
    const stripWidth = Math.round(strip * MIN_TILE_ASPECT);
    const rowWidth = others * stripWidth + Math.max(0, others - 1) * GAP;
    // Too many for one row: the strip starts at the left edge and the area scrolls sideways.
    let left = Math.max(0, (width - rowWidth) / 2);
    return tiles.map((tile) => {
      if (tile === pinned) {
        return {
          left: Math.round((width - stage.width) / 2),
          top: Math.round((stageHeight - stage.height) / 2),
          width: stage.width,
          height: stage.height,
        };
      }
      const box = {
        left: Math.round(left),
        top: stageHeight + GAP,
        width: stripWidth,
        height: strip,
      };
      left += stripWidth + GAP;
      return box;
    });
  }
}

/** Your own tile on a phone: small, 4:3, in the bottom-right corner of the area. */
function overlayBox(width: number, height: number): Box {
  const w = Math.round(Math.min(OVERLAY_MAX_WIDTH, width * OVERLAY_SHARE));
  const h = Math.round((w * 3) / 4);
  return {
    left: width - w - OVERLAY_INSET,
    top: Math.max(0, height - h - OVERLAY_INSET),
    width: w,
    height: h,
  };
}

/** The largest tile of an allowed shape inside width x height. */
function fitOne(width: number, height: number): { width: number; height: number } {
  const aspect = Math.min(MAX_TILE_ASPECT, Math.max(MIN_TILE_ASPECT, width / height));
  const w = Math.min(width, height * aspect);
  return { width: Math.floor(w), height: Math.floor(w / aspect) };
}
