// Chat, hands, recording and host controls for the command-line client: prints chat lines (and
// the history the relay replays on join), raised hands and moderators' actions, sends each line
// typed on stdin (when stdin is a terminal or --chat is given), announces --record to the room,
// and turns the relay's moderation close codes into a clear last word. Sealed in an encrypted
// room like the page's (client-core/chat-seal.ts).
import { createInterface } from "node:readline";
import { openChat, sealChat } from "../../client-core/chat-seal.ts";
import {
  type ChatMessage,
  CloseCode,
  type ControlMessage,
  chatLength,
  encodeChat,
  encodeRecording,
  MAX_CHAT_CHARS,
  type ModerationNotice,
  type PeerInfo,
  type RoomKey,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import { printable } from "./terminal-text.ts";

export interface RoomChatOptions {
  key: RoomKey | null;
  /** Read chat lines from stdin. */
  readStdin: boolean;
  /** This client records the room (--record): the room is told. */
  recording: boolean;
  send(text: string): boolean;
  log(line: string): void;
}

/** The sentence for a close code that ends the run (removed, call ended, locked); else null. */
export function moderationExit(code: number): string | null {
  if (code === CloseCode.Removed) {
    return "a moderator removed you from the room; this token is refused there until it expires";
  }
  if (code === CloseCode.CallEnded) return "a moderator ended the call for everyone";
  if (code === CloseCode.RoomLocked) return "the room is locked: only moderators may join";
  return null;
}

export class RoomChat {
  readonly #options: RoomChatOptions;
  #selfId: number | null = null;
  readonly #peers = new Map<number, PeerInfo>();
  #reader: ReturnType<typeof createInterface> | null = null;
  /** Lines print in the order they arrived, sealed ones included. */
  #tail: Promise<void> = Promise.resolve();

  constructor(options: RoomChatOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#options.readStdin) return;
    this.#reader = createInterface({ input: process.stdin, terminal: false });
    this.#reader.on("line", (line) => void this.#typed(line));
  }

  stop(): void {
    this.#reader?.close();
    this.#reader = null;
  }

  welcome(welcome: WelcomeMessage): void {
    this.#selfId = welcome.id;
    this.#peers.clear();
    for (const peer of welcome.peers) this.#peers.set(peer.id, peer);
    if (this.#options.recording) this.#options.send(encodeRecording(true));
    const recorders = welcome.peers.filter((peer) => peer.recording).map((peer) => peer.name);
    if (recorders.length > 0) {
      this.#options.log(`recording the room: ${recorders.map(printable).join(", ")}`);
    }
    if (welcome.moderation === "moderator") this.#options.log("you may moderate this room");
    if (welcome.locked) this.#options.log("the room is locked: only moderators may join");
  }

  /** The relay's chat, peer_update and moderation messages (and joins/leaves, followed). */
  message(control: ControlMessage): void {
    switch (control.type) {
      case "chat":
        this.#tail = this.#tail.then(() => this.#print(control));
        return;
      case "join":
        this.#peers.set(control.peer.id, control.peer);
        return;
      case "leave":
        this.#peers.delete(control.id);
        return;
      case "peer_update":
        this.#updated(control.peer);
        return;
      case "moderation":
        this.#moderation(control);
        return;
      default:
        return;
    }
  }

  async #print(message: ChatMessage): Promise<void> {
    let text: string | null = message.text ?? null;
    if (message.sealed !== undefined) {
      text = this.#options.key ? await openChat(this.#options.key, message.sealed) : null;
      if (text === null) text = "[encrypted message: no key, or another room key]";
    }
    const time = new Date(message.time).toISOString().slice(11, 16);
    const who = `${printable(message.name)}${message.from === this.#selfId ? " (you)" : ""}`;
    const earlier = message.history ? " (earlier)" : "";
    this.#options.log(`chat ${time}${earlier} ${who}: ${printable(text ?? "")}`);
  }

  #updated(peer: PeerInfo): void {
    const before = this.#peers.get(peer.id);
    this.#peers.set(peer.id, peer);
    const name = peer.id === this.#selfId ? "you" : printable(peer.name);
    if ((before?.hand === undefined) !== (peer.hand === undefined)) {
      this.#options.log(`${name} ${peer.hand === undefined ? "lowered" : "raised"} a hand`);
    }
    if ((before?.recording === true) !== (peer.recording === true)) {
      this.#options.log(`${name} ${peer.recording ? "started" : "stopped"} recording`);
    }
  }

  #moderation(notice: ModerationNotice): void {
    const by = printable(notice.by);
    if (notice.action === "lock" || notice.action === "unlock") {
      this.#options.log(`${by} ${notice.action}ed the room`);
    } else if (notice.action === "lower_hands") {
      this.#options.log(`${by} lowered every hand`);
    } else if (notice.target === this.#selfId) {
      const what =
        notice.action === "mute"
          ? "asks you to mute"
          : `${notice.action === "stop" ? "stopped" : "allowed"} your ${notice.media}`;
      this.#options.log(`moderator ${by} ${what}`);
    }
  }

  async #typed(line: string): Promise<void> {
    const text = line.trim();
    if (text === "") return;
    if (chatLength(text) > MAX_CHAT_CHARS) {
      this.#options.log(`chat: not sent, over ${MAX_CHAT_CHARS} characters`);
      return;
    }
    const key = this.#options.key;
    const wire = key ? encodeChat({ sealed: await sealChat(key, text) }) : encodeChat({ text });
    if (!this.#options.send(wire)) this.#options.log("chat: not sent, not connected");
  }
}
