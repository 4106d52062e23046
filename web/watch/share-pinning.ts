// Screen shares take the stage (docs/BROWSER.md, "Screen sharing"): when a share's tile appears
// it is pinned (large, the cameras in the strip beneath); you may unpin it or pin another tile
// like any other, and it is not pinned again while it lasts. When it goes, call-layout.ts unpins
// it and the grid returns.
import type { CallLayout } from "../room/call-layout.ts";

export class SharePinning {
  /** Share tiles already seen (pinned once each). */
  readonly #seen = new Set<string>();

  constructor(
    private readonly tiles: HTMLElement,
    private readonly layout: Pick<CallLayout, "pin">,
  ) {}

  /** After tiles came or went: pins each new share tile. */
  update(): void {
    const shares = [...this.tiles.querySelectorAll<HTMLElement>('.tile[data-source="screen"]')];
    const present = new Set(shares.map((tile) => tile.dataset.peerId ?? ""));
    for (const id of this.#seen) if (!present.has(id)) this.#seen.delete(id);
    for (const tile of shares) {
      const id = tile.dataset.peerId ?? "";
      if (this.#seen.has(id)) continue;
      this.#seen.add(id);
      this.layout.pin(tile);
    }
  }
}
