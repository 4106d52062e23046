// The people in the room: a count on a button in the header, and the list it opens. You come
// first; everyone else in the order they joined.
import { element } from "../dom.ts";

export interface Participant {
  id: number;
  name: string;
  you: boolean;
  /** On the old base64 protocol (no name of its own, no presence of ours). */
  legacy?: boolean;
}

export class ParticipantList {
  readonly #button: HTMLButtonElement;
  readonly #panel: HTMLElement;
  readonly #list = element("ul", "people-list");

  constructor(button: HTMLButtonElement, panel: HTMLElement) {
    this.#button = button;
    this.#panel = panel;
    this.#panel.append(this.#list);
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
        item.textContent = person.you
          ? `${person.name} (you)`
          : person.legacy
            ? `${person.name} (old client)`
            : person.name;
        return item;
      }),
    );
  }

  close(): void {
    this.#toggle(false);
  }

  #toggle(open: boolean): void {
    this.#panel.hidden = !open;
    this.#button.setAttribute("aria-expanded", String(open));
  }
}
