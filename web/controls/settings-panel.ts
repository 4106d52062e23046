// The capture settings (camera, size, fps, quality, sizes, codec) in their own panel above the
// control bar, opened by its Settings button: they are set once, not during every call, so
// they don't take room from the call. Escape or a click outside closes it.

export class SettingsPanel {
  readonly #button: HTMLButtonElement;
  readonly #panel: HTMLElement;

  constructor(button: HTMLButtonElement, panel: HTMLElement) {
    this.#button = button;
    this.#panel = panel;
    button.addEventListener("click", () => this.toggle(panel.hidden === true));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !panel.hidden) {
        this.toggle(false);
        button.focus();
      }
    });
    document.addEventListener("pointerdown", (event) => {
      const target = event.target as Node | null;
      if (panel.hidden || !target || panel.contains(target) || button.contains(target)) return;
      this.toggle(false);
    });
    this.toggle(false);
  }

  get open(): boolean {
    return !this.#panel.hidden;
  }

  toggle(open: boolean): void {
    this.#panel.hidden = !open;
    this.#button.setAttribute("aria-expanded", String(open));
    this.#button.setAttribute("aria-pressed", String(open));
  }
}
