// The page's icons as inline SVG (stroked 24x24 paths), never emoji: a browser without an emoji
// font (headless Chromium, many Linux desktops) draws emoji as empty boxes. Icons are decoration:
// every control that shows one also has a label, a tooltip or an aria-label that names it.

const PATHS = {
  camera: [
    "M2 8a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2z",
    "M16 10l6-4v12l-6-4",
  ],
  mic: ["M9 5a3 3 0 0 1 6 0v6a3 3 0 0 1-6 0z", "M5 11a7 7 0 0 0 14 0", "M12 18v4"],
  "mic-off": [
    "M9 5a3 3 0 0 1 6 0v6a3 3 0 0 1-6 0z",
    "M5 11a7 7 0 0 0 14 0",
    "M12 18v4",
    "M3 3l18 18",
  ],
  screen: [
    "M2 5a2 2 0 0 1 2-2h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2z",
    "M8 21h8",
    "M12 17v4",
  ],
  chat: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"],
  hand: [
    "M18 11V6a2 2 0 0 0-4 0v5",
    "M14 10V4a2 2 0 0 0-4 0v6",
    "M10 10.5V6a2 2 0 0 0-4 0v8a8 8 0 0 0 16 0v-2a2 2 0 0 0-4 0",
  ],
  people: [
    "M13 7a4 4 0 1 1-8 0a4 4 0 1 1 8 0",
    "M2 21v-2a4 4 0 0 1 4-4h6a4 4 0 0 1 4 4v2",
    "M16 3.13a4 4 0 0 1 0 7.75",
    "M22 21v-2a4 4 0 0 0-3-3.87",
  ],
  settings: [
    "M4 21v-7",
    "M4 10V3",
    "M12 21v-9",
    "M12 8V3",
    "M20 21v-5",
    "M20 12V3",
    "M1 14h6",
    "M9 8h6",
    "M17 16h6",
  ],
  fullscreen: [
    "M8 3H5a2 2 0 0 0-2 2v3",
    "M21 8V5a2 2 0 0 0-2-2h-3",
    "M3 16v3a2 2 0 0 0 2 2h3",
    "M16 21h3a2 2 0 0 0 2-2v-3",
  ],
  leave: ["M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4", "M16 17l5-5-5-5", "M21 12H9"],
  pin: ["M12 17v5", "M9 3h6l-1 2v5l3 4v3H7v-3l3-4V5z"],
  volume: ["M11 5L6 9H2v6h4l5 4z", "M15.5 8.5a5 5 0 0 1 0 7", "M19 5a10 10 0 0 1 0 14"],
  "volume-off": ["M11 5L6 9H2v6h4l5 4z", "M23 9l-6 6", "M17 9l6 6"],
} as const;

export type IconName = keyof typeof PATHS;

export function isIconName(name: string | undefined): name is IconName {
  return name !== undefined && Object.hasOwn(PATHS, name);
}

const SVG = "http://www.w3.org/2000/svg";

/** A fresh <svg> of the icon, hidden from assistive technology (the control names itself). */
export function iconSvg(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "2");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  svg.dataset.icon = name;
  for (const d of PATHS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** Makes `target` show only the icon `name` (a no-op when it already does). */
export function setIcon(target: HTMLElement, name: IconName): void {
  const current = target.firstElementChild;
  if (
    target.childNodes.length === 1 &&
    current instanceof SVGSVGElement &&
    current.dataset.icon === name
  )
    return;
  target.replaceChildren(iconSvg(name));
}
