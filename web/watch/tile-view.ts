// The markup every tile shares, yours and everyone else's: the picture, a name and stats label,
// a corner for badges (indicators other features add: sound, encryption, layer), an overlay slot
// for whole-tile states, and the tile's own buttons (pin, full screen). The call layout
// positions tiles; each tile only knows its content.
import { iconSvg } from "../controls/icons.ts";
import { element } from "../dom.ts";

export interface TileActions {
  /** Pin this tile large (or unpin it). */
  togglePin(tile: TileView): void;
}

export class TileView {
  readonly element: HTMLElement;
  /** Small indicators in the top-left corner; add with addBadge(). */
  readonly badges = element("div", "badges");
  /** Covers the picture (e.g. a "can't show this" state); empty and hidden by default. */
  readonly overlay = element("div", "overlay");
  readonly #name = element("span", "name");
  readonly #stats = element("span", "stats");
  readonly #pinButton = element("button", "tile-button pin");
  readonly #fullscreenButton = element("button", "tile-button fullscreen");
  readonly #buttons = element("div", "tile-buttons");

  constructor(
    picture: HTMLElement,
    options: { className?: string; name: string; stats: string; actions: TileActions },
  ) {
    this.element = element("article", `tile${options.className ? ` ${options.className}` : ""}`);
    this.element.tabIndex = 0;
    this.overlay.hidden = true;
    this.#name.textContent = options.name;
    this.#stats.textContent = options.stats;
    this.#pinButton.type = "button";
    this.#pinButton.append(iconSvg("pin"));
    this.#fullscreenButton.append(iconSvg("fullscreen"));
    this.#pinButton.title = "Pin: show large, or back to the grid (or click the tile)";
    this.#pinButton.setAttribute("aria-label", "pin this tile");
    this.#fullscreenButton.type = "button";
    this.#fullscreenButton.title = "Full screen";
    this.#fullscreenButton.setAttribute("aria-label", "show this tile full screen");
    const buttons = this.#buttons;
    buttons.append(this.#pinButton, this.#fullscreenButton);
    const label = element("footer", "label");
    label.append(this.#name, this.#stats);
    this.element.append(picture, this.badges, this.overlay, buttons, label);

    this.#pinButton.addEventListener("click", (event) => {
      event.stopPropagation();
      options.actions.togglePin(this);
    });
    this.#fullscreenButton.addEventListener("click", (event) => {
      event.stopPropagation();
      void this.toggleFullscreen();
    });
    // A click anywhere on the tile pins it; Enter does the same from the keyboard.
    this.element.addEventListener("click", () => options.actions.togglePin(this));
    this.element.addEventListener("dblclick", () => void this.toggleFullscreen());
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target === this.element) options.actions.togglePin(this);
    });
    this.element.dataset.pinned = "false";
    this.#pinButton.setAttribute("aria-pressed", "false");
  }

  setName(name: string): void {
    this.#name.textContent = name;
  }

  setStats(text: string): void {
    this.#stats.textContent = text;
  }

  addBadge(badge: HTMLElement): void {
    this.badges.append(badge);
  }

  /** A button of another feature (e.g. mute this participant), before pin and full screen. */
  addButton(button: HTMLButtonElement): void {
    button.classList.add("tile-button");
    // The tile itself pins on click: a button's click is its own.
    button.addEventListener("click", (event) => event.stopPropagation());
    this.#buttons.prepend(button);
  }

  async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement === this.element) await document.exitFullscreen();
      else await this.element.requestFullscreen();
    } catch {
      // Refused (no user gesture, or not allowed in this frame): the tile stays as it is.
    }
  }
}
