// Chat, raised hands, the REC mark and host controls on the page, beside the call itself
// (room-session.ts hands this the relay's messages and asks it how to decorate the people list).
import {
  CloseCode,
  type ControlMessage,
  encodeHand,
  type ModerationNotice,
  type RoomKey,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import { ChatPanel } from "../chat/chat-panel.ts";
import { byId, element } from "../dom.ts";
import { personMenu, roomActions } from "./moderation-menu.ts";
import type { Participant } from "./participant-list.ts";
import { PeopleStatus } from "./people-status.ts";

export interface ExtrasElements {
  chatButton: HTMLButtonElement;
  chat: HTMLElement;
  handButton: HTMLButtonElement;
  recBadge: HTMLElement;
  tiles: HTMLElement;
  app: HTMLElement;
}

/** The page's chat panel, hand button and REC mark (web/index.html), with the tiles and #app. */
export function extrasElements(app: HTMLElement, tiles: HTMLElement): ExtrasElements {
  return {
    chatButton: byId("chat-button", HTMLButtonElement),
    chat: byId("chat", HTMLElement),
    handButton: byId("hand-button", HTMLButtonElement),
    recBadge: byId("rec-badge", HTMLElement),
    tiles,
    app,
  };
}

export interface ExtrasHooks {
  send(text: string): boolean;
  /** Presence changed: the people list and tiles are drawn again. */
  changed(): void;
  /** A moderator acted on you (mute asked, camera or sound stopped or allowed). */
  moderated(notice: ModerationNotice, text: string): void;
}

/** What the page says when the relay ended the connection for a moderator's reason. */
export function moderationClose(code: number): string | null {
  if (code === CloseCode.Removed)
    return "A moderator removed you from this call. This join link no longer lets you in.";
  if (code === CloseCode.CallEnded) return "A moderator ended the call for everyone.";
  if (code === CloseCode.RoomLocked) return "The room is locked: only moderators can join now.";
  return null;
}

export class CallExtras {
  readonly status = new PeopleStatus();
  readonly chat: ChatPanel;
  readonly #ui: ExtrasElements;
  readonly #hooks: ExtrasHooks;

  constructor(ui: ExtrasElements, key: RoomKey | null, hooks: ExtrasHooks) {
    this.#ui = ui;
    this.#hooks = hooks;
    this.chat = new ChatPanel({ button: ui.chatButton, panel: ui.chat }, key, hooks.send);
    ui.handButton.addEventListener("click", () => {
      const raised = this.status.self?.hand !== undefined;
      hooks.send(encodeHand(!raised));
    });
    this.#render();
  }

  welcome(welcome: WelcomeMessage): void {
    this.status.welcome(welcome);
    this.chat.welcome();
    this.#render();
  }

  /** Handles what is ours (chat, peer_update, moderation) and follows joins and leaves. */
  control(message: Exclude<ControlMessage, WelcomeMessage>): boolean {
    switch (message.type) {
      case "chat":
        this.chat.receive(message, this.status.selfId);
        return true;
      case "peer_update":
        this.status.set(message.peer);
        this.#render();
        this.#hooks.changed();
        return true;
      case "moderation":
        this.#moderation(message);
        return true;
      case "join":
        this.status.set(message.peer);
        this.#render();
        return false;
      case "leave":
        this.status.leave(message.id);
        this.#render();
        return false;
      default:
        return false;
    }
  }

  /** Hand, recording, moderator and stopped media of one person, and a moderator's buttons. */
  decorate<T extends Participant>(person: T): T {
    const peer = this.status.get(person.id);
    if (!peer) return person;
    const hand = this.status.handPosition(person.id);
    return {
      ...person,
      ...(hand !== undefined ? { hand } : {}),
      ...(peer.recording ? { recording: true } : {}),
      ...(peer.moderator ? { moderator: true } : {}),
      ...(peer.stopped?.length ? { stopped: peer.stopped } : {}),
      actions: personMenu(peer, this.status, this.#hooks.send),
    };
  }

  /** Above the people list: hands in the order raised, then the room's host controls. */
  top(): Node[] {
    const nodes: Node[] = [];
    const hands = this.status.hands();
    if (hands.length > 0) {
      const list = element("ol", "hands-list");
      list.setAttribute("aria-label", "raised hands, first raised first");
      for (const peer of hands) {
        const item = element("li", "", peer.name);
        item.dataset.peerId = String(peer.id);
        list.append(item);
      }
      nodes.push(element("h3", "people-heading", "Raised hands"), list);
    }
    nodes.push(roomActions(this.status, this.#hooks.send));
    return nodes;
  }

  /** Marks on tiles (CSS draws them from data-hand, data-recording), kept as tiles come and go. */
  refreshTiles(): void {
    for (const tile of this.#ui.tiles.querySelectorAll<HTMLElement>("[data-peer-id]")) {
      const id = Number(tile.dataset.peerId);
      const hand = this.status.handPosition(id);
      if (hand === undefined) delete tile.dataset.hand;
      else if (tile.dataset.hand !== String(hand)) tile.dataset.hand = String(hand);
      const recording = this.status.get(id)?.recording === true;
      if (recording) tile.dataset.recording = "true";
      else delete tile.dataset.recording;
    }
  }

  clear(): void {
    this.status.clear();
    this.#render();
  }

  leave(): void {
    this.clear();
    this.chat.clear();
  }

  #moderation(notice: ModerationNotice): void {
    if (notice.action === "lock" || notice.action === "unlock") {
      this.status.locked = notice.action === "lock";
      this.#render();
      this.#hooks.changed();
      return;
    }
    if (notice.target !== this.status.selfId) return;
    const by = notice.by === "admin" ? "The relay's admin" : `${notice.by} (moderator)`;
    const text =
      notice.action === "mute"
        ? `${by} asked you to mute your microphone. You can unmute when you need to speak.`
        : notice.action === "stop"
          ? `${by} stopped your ${notice.media}: the relay passes none of it on until a moderator allows it again.`
          : notice.action === "allow"
            ? `${by} allowed your ${notice.media} again.`
            : "";
    if (text) this.#hooks.moderated(notice, text);
  }

  #render(): void {
    const self = this.status.self;
    const raised = self?.hand !== undefined;
    const button = this.#ui.handButton;
    button.setAttribute("aria-pressed", String(raised));
    button.textContent = raised ? "Lower hand" : "Raise hand";
    const recorders = this.status.recorders();
    const badge = this.#ui.recBadge;
    badge.hidden = recorders.length === 0;
    badge.title = `Recording: ${recorders.map((peer) => peer.name).join(", ")}`;
    badge.setAttribute("aria-label", badge.title);
    this.#ui.app.dataset.recording = String(recorders.length > 0);
    this.#ui.app.dataset.moderation = this.status.mode;
    this.#ui.app.dataset.locked = String(this.status.locked);
    this.refreshTiles();
  }
}
