// The chat panel: messages of the room (the history the relay replays on join, then live ones),
// a box to type into, and an unread count on the Chat button while the panel is closed. In an
// encrypted room messages are sealed and opened with the room key (client-core/chat-seal.ts).
// Message text only ever becomes text nodes (chat-text.ts): nothing from a message runs.
import { openChat, sealChat } from "../../client-core/chat-seal.ts";
import {
  type ChatMessage,
  chatLength,
  encodeChat,
  MAX_CHAT_CHARS,
  type RoomKey,
} from "../../protocol/index.ts";
import { element } from "../dom.ts";
import { chatNodes } from "./chat-text.ts";

export interface ChatElements {
  button: HTMLButtonElement;
  panel: HTMLElement;
}

/** Messages kept on the page (the relay replays at most 200 to a newcomer). */
const MAX_SHOWN = 500;

export class ChatPanel {
  readonly #ui: ChatElements;
  readonly #list = element("ol", "chat-list");
  readonly #form = element("form", "chat-form");
  readonly #input = element("textarea", "chat-input");
  readonly #send = element("button", "chat-send", "Send");
  readonly #key: RoomKey | null;
  readonly #sendText: (text: string) => boolean;
  #unread = 0;
  /** Messages open in order even though opening a sealed one takes a moment. */
  #tail: Promise<void> = Promise.resolve();

  constructor(ui: ChatElements, key: RoomKey | null, send: (text: string) => boolean) {
    this.#ui = ui;
    this.#key = key;
    this.#sendText = send;
    this.#input.rows = 2;
    this.#input.maxLength = MAX_CHAT_CHARS * 2;
    this.#input.placeholder = "Message everyone";
    this.#input.setAttribute("aria-label", "chat message");
    this.#send.type = "submit";
    this.#form.append(this.#input, this.#send);
    this.#list.setAttribute("aria-live", "polite");
    ui.panel.replaceChildren(element("h2", "chat-title", "Chat"), this.#list, this.#form);
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.#submit();
    });
    this.#input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        void this.#submit();
      }
    });
    ui.button.addEventListener("click", () => this.toggle(ui.panel.hidden === true));
    this.#renderUnread();
  }

  get open(): boolean {
    return this.#ui.panel.hidden !== true;
  }

  toggle(open: boolean): void {
    this.#ui.panel.hidden = !open;
    this.#ui.button.setAttribute("aria-expanded", String(open));
    if (open) {
      this.#unread = 0;
      this.#renderUnread();
      this.#input.focus();
      this.#list.lastElementChild?.scrollIntoView({ block: "end" });
    }
  }

  /** A chat message from the relay (live or history). */
  receive(message: ChatMessage, selfId: number | null): void {
    this.#tail = this.#tail.then(() => this.#show(message, selfId));
  }

  /** A new connection: the relay replays the history, so what we show starts afresh. */
  welcome(): void {
    this.#list.replaceChildren();
  }

  clear(): void {
    this.#list.replaceChildren();
    this.#unread = 0;
    this.#renderUnread();
    this.toggle(false);
  }

  async #show(message: ChatMessage, selfId: number | null): Promise<void> {
    let text: string | null;
    let sealed = false;
    if (message.sealed !== undefined) {
      sealed = true;
      text = this.#key ? await openChat(this.#key, message.sealed) : null;
    } else text = message.text ?? "";
    const item = element("li", "chat-message");
    item.dataset.from = String(message.from);
    item.dataset.sealed = String(sealed);
    if (message.history) item.dataset.history = "true";
    const meta = element("span", "chat-meta");
    meta.textContent = `${message.name}${message.from === selfId ? " (you)" : ""} · ${new Date(message.time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
    const body = element("span", "chat-body");
    if (text === null) {
      body.textContent = "[an encrypted message this page can't open: another room key]";
      item.dataset.unreadable = "true";
    } else body.append(...chatNodes(text));
    item.append(meta, body);
    this.#list.append(item);
    while (this.#list.childElementCount > MAX_SHOWN) this.#list.firstElementChild?.remove();
    if (this.open) item.scrollIntoView({ block: "end" });
    else if (!message.history) {
      this.#unread++;
      this.#renderUnread();
    }
  }

  async #submit(): Promise<void> {
    const text = this.#input.value.trim();
    if (text === "") return;
    if (chatLength(text) > MAX_CHAT_CHARS) {
      this.#input.setCustomValidity(`At most ${MAX_CHAT_CHARS} characters`);
      this.#input.reportValidity();
      return;
    }
    this.#input.setCustomValidity("");
    const wire = this.#key
      ? encodeChat({ sealed: await sealChat(this.#key, text) })
      : encodeChat({ text });
    if (this.#sendText(wire)) this.#input.value = "";
  }

  #renderUnread(): void {
    const button = this.#ui.button;
    button.dataset.unread = String(this.#unread);
    button.textContent = this.#unread > 0 ? `Chat (${this.#unread})` : "Chat";
    button.setAttribute("aria-label", this.#unread > 0 ? `chat, ${this.#unread} unread` : "chat");
  }
}
