// The people in the room: a count on a button in the header, and the list it opens. You come
// first; everyone else in the order they joined. Viewers (view-only tokens) and participants who
// send nothing have no tile: this list is where they show.
import { element } from "../dom.ts";

export interface Participant {
  id: number;
  name: string;
  you: boolean;
  /** On the old base64 protocol (no name of its own, no presence of ours). */
  legacy?: boolean;
  /** Joined with a view-only token: watches and listens, never sends. */
  viewer?: boolean;
  /** Has a tile (sent a frame, its layers or a sound track); undefined for you. */
  sending?: boolean;
  /** Its place among raised hands (1: raised first); undefined while its hand is down. */
  hand?: number;
  /** It records the room. */
  recording?: boolean;
  /** It holds the `moderate` permission. */
  moderator?: boolean;
  /** Media a moderator stopped. */
  stopped?: string[];
  /** A moderator's buttons for this participant (web/room/moderation-menu.ts). */
  actions?: HTMLElement | null;
}

/** What the list says after a name: "(you)", "(old client)", "(viewer)", "(not sending)". */
export function personNote(person: Participant): string {
  const notes: string[] = [];
  if (person.you) notes.push("you");
  if (person.legacy) notes.push("old client");
  if (person.viewer) notes.push("viewer");
  else if (!person.you && person.sending === false) notes.push("not sending");
  if (person.moderator) notes.push("moderator");
  if (person.recording) notes.push("recording");
  for (const media of person.stopped ?? []) notes.push(`${media} stopped by a moderator`);
  return notes.length > 0 ? ` (${notes.join(", ")})` : "";
}

export class ParticipantList {
  readonly #button: HTMLButtonElement;
  readonly #panel: HTMLElement;
  readonly #list = element("ul", "people-list");
  /** Above the list: raised hands in order and the room's host controls (call-extras.ts). */
  readonly #top = element("div", "people-top");

  constructor(button: HTMLButtonElement, panel: HTMLElement) {
    this.#button = button;
    this.#panel = panel;
    this.#panel.append(this.#top, this.#list);
    this.#button.addEventListener("click", () => this.#toggle(this.#panel.hidden === true));
    this.render([]);
  }

  render(people: Participant[]): void {
    const count = people.length;
    this.#button.textContent = `${count} ${count === 1 ? "person" : "people"}`;
    this.#button.dataset.count = String(count);
    this.#button.setAttribute(
      "aria-label",
      `${count} ${count === 1 ? "person" : "people"} in the room: show who`,
    );
    this.#list.replaceChildren(
      ...people.map((person) => {
        const item = element("li", person.you ? "you" : "");
        item.dataset.peerId = String(person.id);
        item.dataset.viewer = String(person.viewer === true);
        if (person.sending !== undefined) item.dataset.sending = String(person.sending);
        item.textContent = `${person.name}${personNote(person)}`;
        if (person.hand !== undefined) {
          item.dataset.hand = String(person.hand);
          item.prepend(element("span", "hand-mark", `hand ${person.hand}`));
        }
        if (person.recording) item.dataset.recording = "true";
        if (person.actions) item.append(person.actions);
        return item;
      }),
    );
  }

  /** What goes above the list (replaced on every render of the room's state). */
  setTop(...nodes: Node[]): void {
    this.#top.replaceChildren(...nodes);
  }

  close(): void {
    this.#toggle(false);
  }

  #toggle(open: boolean): void {
    this.#panel.hidden = !open;
    this.#button.setAttribute("aria-expanded", String(open));
  }
}
