// The control bar's buttons: an icon above a label. A button names its icon in data-icon and
// keeps its label as plain text, so the code that relabels it ("Share camera" / "Stop sharing")
// just sets textContent, and tests read the label there. This puts the icon back (and wraps the
// text in a label span the styles can hide on a phone) after every such change.
import { iconSvg, isIconName } from "./icons.ts";

/** True when the button already is icon + label for its current data-icon and text. */
function dressed(button: HTMLElement): boolean {
  const [icon, label, ...rest] = button.childNodes;
  return (
    rest.length === 0 &&
    icon instanceof SVGSVGElement &&
    icon.dataset.icon === button.dataset.icon &&
    (label === undefined ||
      (label instanceof HTMLSpanElement && label.className === "button-label"))
  );
}

function dress(button: HTMLElement): void {
  const name = button.dataset.icon;
  if (!isIconName(name) || dressed(button)) return;
  const text = (button.textContent ?? "").trim();
  const label = document.createElement("span");
  label.className = "button-label";
  label.textContent = text;
  button.replaceChildren(iconSvg(name), ...(text ? [label] : []));
  // The label is hidden on narrow screens: the tooltip says it then.
  if (text && !button.hasAttribute("data-own-title")) button.title = text;
}

/** Dresses every button[data-icon] under `root` now and whenever its text or icon changes. */
export function keepButtonIcons(root: HTMLElement): void {
  const all = () => {
    for (const button of root.querySelectorAll<HTMLElement>("button[data-icon]")) dress(button);
  };
  all();
  new MutationObserver(all).observe(root, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ["data-icon"],
  });
}
