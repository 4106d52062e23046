// A moderator's controls in the people list: for each participant ask to mute, stop or allow its
// camera and sound, remove it; for the room lock or unlock, lower all hands, end the call. The
// relay enforces each (and refuses them from anyone without the `moderate` permission).
import {
  encodeModerate,
  type MediaKind,
  type ModerationAction,
  type PeerInfo,
} from "../../protocol/index.ts";
import { element } from "../dom.ts";
import type { PeopleStatus } from "./people-status.ts";

type Send = (text: string) => boolean;

function actionButton(label: string, action: string, onClick: () => void): HTMLButtonElement {
  const button = element("button", "moderation-action secondary", label);
  button.type = "button";
  button.dataset.action = action;
  button.addEventListener("click", onClick);
  return button;
}

/** Whose menus are open: the list is drawn afresh on every change, open menus stay open. */
const openMenus = new Set<number>();

/**
 * A "Moderate" menu beside one participant in the people list (null: not a moderator, or
 * yourself): a native disclosure, so it is keyboard- and screen-reader-friendly as is.
 */
export function personMenu(peer: PeerInfo, status: PeopleStatus, send: Send): HTMLElement | null {
  const actions = personActions(peer, status, send);
  if (!actions) return null;
  const menu = element("details", "moderation-menu");
  menu.dataset.peerId = String(peer.id);
  menu.open = openMenus.has(peer.id);
  const summary = element("summary", "moderation-summary", "Moderate");
  summary.setAttribute("aria-label", `moderate ${peer.name}`);
  menu.append(summary, actions);
  menu.addEventListener("toggle", () => {
    if (menu.open) openMenus.add(peer.id);
    else openMenus.delete(peer.id);
  });
  return menu;
}

/** The buttons for one participant (null: not a moderator, or yourself). */
export function personActions(
  peer: PeerInfo,
  status: PeopleStatus,
  send: Send,
): HTMLElement | null {
  if (status.mode !== "moderator" || peer.id === status.selfId || peer.legacy) return null;
  const act = (action: ModerationAction, media?: MediaKind) => () =>
    send(encodeModerate(action, peer.id, media));
  const stopped = new Set(peer.stopped ?? []);
  const box = element("span", "moderation-actions");
  box.dataset.peerId = String(peer.id);
  box.append(actionButton("Ask to mute", "mute", act("mute")));
  for (const media of ["camera", "sound"] as const) {
    const label = `${stopped.has(media) ? "Allow" : "Stop"} ${media}`;
    const action = stopped.has(media) ? "allow" : "stop";
    box.append(actionButton(label, `${action}-${media}`, act(action, media)));
  }
  box.append(actionButton("Remove", "remove", act("remove")));
  return box;
}

/** Until when the End button waits for its confirming click (kept across re-renders). */
let endArmedUntil = 0;
const END_CONFIRM_MS = 5000;

/** Ends the call on a second click (the first asks): a slip of the finger ends nothing. */
function endButton(send: Send): HTMLButtonElement {
  const armed = () => Date.now() < endArmedUntil;
  const label = () => (armed() ? "Click again to end the call" : "End call for everyone");
  const button = actionButton(label(), "end", () => {
    if (armed()) {
      endArmedUntil = 0;
      send(encodeModerate("end"));
      return;
    }
    endArmedUntil = Date.now() + END_CONFIRM_MS;
    button.textContent = label();
    button.dataset.armed = "true";
    setTimeout(() => {
      button.textContent = label();
      button.dataset.armed = String(armed());
    }, END_CONFIRM_MS);
  });
  button.dataset.armed = String(armed());
  return button;
}

/** Room-wide controls above the list, or the sentence that says why there are none. */
export function roomActions(status: PeopleStatus, send: Send): HTMLElement {
  const box = element("div", "moderation-room");
  if (status.mode === "off") {
    box.textContent =
      "This relay has no join tokens, so nobody can moderate here (see docs/SECURITY.md, Host controls).";
    box.dataset.mode = "off";
    return box;
  }
  box.dataset.mode = status.mode;
  if (status.mode !== "moderator") {
    if (status.locked) box.textContent = "The room is locked: only moderators can join.";
    return box;
  }
  const room = (action: ModerationAction) => () => send(encodeModerate(action));
  box.append(
    actionButton(
      status.locked ? "Unlock room" : "Lock room",
      status.locked ? "unlock" : "lock",
      room(status.locked ? "unlock" : "lock"),
    ),
    actionButton("Lower all hands", "lower_hands", room("lower_hands")),
    endButton(send),
  );
  return box;
}
