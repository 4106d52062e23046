// Chat for the relay's rooms: stamping, the history kept in memory (the last CHAT_HISTORY_SIZE
// messages, CHAT_HISTORY_CHARS at most), its replay to newcomers, and across a cluster: messages
// to and from other relays, and the history asked of them when a room's first participant here
// joins a room they already hold.
import {
  CHAT_HISTORY_CHARS,
  CHAT_HISTORY_SIZE,
  type ChatMessage,
  type ChatSend,
  chatProblem,
  encodeControl,
} from "../../protocol/index.ts";
import type { RoomBus } from "../cluster/room-bus.ts";
import type { PeerSocket } from "../peer.ts";
import { Refusals, refuseMessage } from "../refusals.ts";
import type { Room, RoomRegistry } from "../rooms.ts";
import { moderationStats } from "./moderation-metrics.ts";
import type { RoomEvent } from "./room-events.ts";

/** How long a first join here waits for other relays' chat history. */
const HISTORY_WAIT_MS = 300;
const PENDING_HISTORY_MS = 10_000;

/** What a message costs the room's history. */
function chatChars(message: ChatMessage): number {
  return (message.text?.length ?? 0) + (message.sealed?.length ?? 0) + message.name.length;
}

/** Oldest messages go while the history is over its count or its characters. */
function trimHistory(room: Room): void {
  while (
    room.chat.length > CHAT_HISTORY_SIZE ||
    (room.chatChars > CHAT_HISTORY_CHARS && room.chat.length > 1)
  ) {
    room.chatChars -= chatChars(room.chat.shift() as ChatMessage);
  }
}

/** Two histories as one: each message once, oldest first, the last CHAT_HISTORY_SIZE. */
export function mergeHistory(a: ChatMessage[], b: ChatMessage[]): ChatMessage[] {
  const seen = new Set<string>();
  const out: ChatMessage[] = [];
  for (const message of [...a, ...b]) {
    const key = `${message.from}:${message.time}:${message.text ?? ""}:${message.sealed ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(message);
  }
  out.sort((x, y) => x.time - y.time);
  return out.slice(-CHAT_HISTORY_SIZE);
}

export class RoomChat {
  /** Chat history asked of other relays for a room about to get its first participant here. */
  readonly #pendingHistory = new Map<
    string,
    { messages: ChatMessage[]; answered: Promise<void>; resolve: () => void }
  >();

  /** Rooms whose first join here still waits for other relays' history (debug counts). */
  get pendingHistoryRooms(): number {
    return this.#pendingHistory.size;
  }

  constructor(
    private readonly rooms: RoomRegistry,
    private readonly bus: RoomBus,
    /** To every v1 participant of the room here, the sender included. */
    private readonly publish: (room: Room, text: string) => void,
  ) {}

  /**
   * Before the first participant here joins a room others already hold (a cluster): the other
   * relays' chat history, so the newcomer's replay is the room's. Waits at most HISTORY_WAIT_MS.
   */
  async prepareJoin(roomName: string): Promise<void> {
    if (this.rooms.rooms.has(roomName) || this.bus.remotePeers(roomName).length === 0) return;
    let pending = this.#pendingHistory.get(roomName);
    if (!pending) {
      let resolve = () => {};
      const answered = new Promise<void>((done) => {
        resolve = done;
      });
      pending = { messages: [], answered, resolve };
      this.#pendingHistory.set(roomName, pending);
      const entry = pending;
      // Unclaimed (the join never came): forgotten after a while.
      setTimeout(() => {
        if (this.#pendingHistory.get(roomName) === entry) this.#pendingHistory.delete(roomName);
      }, PENDING_HISTORY_MS).unref?.();
      this.bus.publishRoomEvent(roomName, { kind: "history_request" });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      pending.answered,
      new Promise<void>((done) => {
        timer = setTimeout(done, HISTORY_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** After the welcome: the room's chat history, oldest first. */
  joined(ws: PeerSocket, room: Room): void {
    const pending = this.#pendingHistory.get(room.name);
    if (pending) {
      this.#pendingHistory.delete(room.name);
      room.chat.splice(0, room.chat.length, ...mergeHistory(pending.messages, room.chat));
      room.chatChars = room.chat.reduce((sum, m) => sum + chatChars(m), 0);
      trimHistory(room);
    }
    for (const message of room.chat) ws.send(encodeControl({ ...message, history: true }));
  }

  onChat(ws: PeerSocket, message: ChatSend): void {
    const room = ws.data.room;
    if (!room) return;
    const problem = chatProblem(message);
    if (problem !== null) {
      refuseMessage(
        ws,
        problem === "too_long"
          ? Refusals.chatTooLong
          : problem === "empty"
            ? Refusals.chatEmpty
            : Refusals.chatBadSealed,
      );
      return;
    }
    const stamped: ChatMessage = {
      type: "chat",
      from: ws.data.id,
      name: ws.data.name,
      time: Date.now(),
      ...(message.sealed !== undefined ? { sealed: message.sealed } : { text: message.text }),
    };
    this.#deliverChat(room, stamped);
    this.bus.publishRoomEvent(room.name, { kind: "chat", message: stamped });
  }

  #deliverChat(room: Room, message: ChatMessage): void {
    moderationStats.chatMessages++;
    room.chat.push(message);
    room.chatChars += chatChars(message);
    trimHistory(room);
    this.publish(room, encodeControl(message));
  }

  /** A chat event from another relay: a message, a request for our history, or the answer. */
  remote(roomName: string, event: RoomEvent, node: number): void {
    const room = this.rooms.rooms.get(roomName);
    switch (event.kind) {
      case "history_request":
        if (room && room.chat.length > 0) {
          this.bus.publishRoomEvent(roomName, { kind: "history", to: node, messages: room.chat });
        }
        return;
      case "history": {
        if (event.to !== this.bus.nodeId) return;
        const pending = this.#pendingHistory.get(roomName);
        if (!pending) return;
        pending.messages = mergeHistory(pending.messages, event.messages);
        pending.resolve();
        return;
      }
      case "chat":
        if (room) this.#deliverChat(room, event.message);
        return;
      default:
        return;
    }
  }
}
