// What the page offers for inviting others: the room link with a Copy button when that link
// lets people in, and otherwise a note that everyone needs a join link of their own. A page
// opened from a join link never hands its own token on (whoever opens it would join as you).
import { roomUrl } from "../../protocol/index.ts";
import { checkRefusal } from "../room/refusal-check.ts";

export interface InviteElements {
  invite: HTMLElement;
  link: HTMLAnchorElement;
  copyButton: HTMLButtonElement;
  note: HTMLElement;
  alone: HTMLElement;
}

const COPIED_MS = 2000;

export class RoomLink {
  readonly #ui: InviteElements;
  #copiedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ui: InviteElements) {
    this.#ui = ui;
    ui.copyButton.addEventListener("click", () => void this.#copy());
  }

  /**
   * Decides for `room`: without a token the page got in with the plain link, so it works; with a
   * token, the relay is asked whether the room takes people without one.
   */
  async offerFor(room: string, pageLink: string, relayBaseUrl: string, hasToken: boolean) {
    this.#show(pageLink);
    if (!hasToken) return;
    this.#ui.invite.hidden = true; // until the relay has answered
    const refusal = await checkRefusal(roomUrl(relayBaseUrl, room));
    if (refusal?.status === 401) this.#withhold();
    else this.#show(pageLink);
  }

  #show(pageLink: string): void {
    this.#ui.link.href = pageLink;
    this.#ui.link.textContent = pageLink;
    this.#ui.invite.hidden = false;
    this.#ui.note.hidden = true;
    this.#ui.invite.dataset.offered = "true";
    this.#ui.alone.textContent = "Nobody else is here yet. Send them the room link.";
  }

  #withhold(): void {
    this.#ui.invite.hidden = true;
    this.#ui.invite.dataset.offered = "false";
    this.#ui.note.textContent = "Others need a join link of their own";
    this.#ui.note.title =
      "This relay admits only holders of a join link; whoever runs it makes one per person (npm run relay -- token).";
    this.#ui.note.hidden = false;
    this.#ui.alone.textContent =
      "Nobody else is here yet. Everyone needs a join link of their own from whoever runs this relay (npm run relay -- token --room ROOM --name NAME).";
  }

  async #copy(): Promise<void> {
    const text = this.#ui.link.href;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // No clipboard access (insecure page, permission): select the link so Ctrl-C copies it.
      const range = document.createRange();
      range.selectNodeContents(this.#ui.link);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
    }
    this.#ui.copyButton.textContent = copied ? "Copied" : "Press Ctrl-C";
    this.#ui.copyButton.dataset.copied = String(copied);
    clearTimeout(this.#copiedTimer);
    this.#copiedTimer = setTimeout(() => {
      this.#ui.copyButton.textContent = "Copy link";
    }, COPIED_MS);
  }
}
