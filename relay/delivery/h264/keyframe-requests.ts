// keyframe_request to an H.264 sender (docs/PROTOCOL.md, "H.264"): receivers waiting for a key
// frame of a layer ask through here, at most once per REQUEST_INTERVAL_MS per sender and layer
// (SFUs use 200 ms-1 s). A request held back by the limit is sent when the interval ends if
// someone still waits then, so a burst of joiners costs the sender at most one key frame per
// interval. Senders on other relays are not asked (their GOP brings the key frame; see docs).
import { encodeControl, type KeyframeReason } from "../../../protocol/index.ts";
import type { Room } from "../../rooms.ts";

export const REQUEST_INTERVAL_MS = 500;

/** Where a request goes and whether anyone still waits (the fan-out's view of a room). */
export interface KeyframeTarget {
  /** Sends the text to the sender, if it is on this relay; false when it is not. */
  send(room: Room, senderId: number, text: string): boolean;
  /** Someone here still waits for a key frame of this sender's layer. */
  waiting(room: Room, senderId: number, layer: number): boolean;
}

interface LayerState {
  lastAt: number;
  timer: ReturnType<typeof setTimeout> | null;
  reason: KeyframeReason;
}

export const keyframeStats = { sent: 0, heldBack: 0 };

export class KeyframeRequests {
  readonly #state = new Map<Room, Map<string, LayerState>>();

  constructor(
    private readonly target: KeyframeTarget,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = REQUEST_INTERVAL_MS,
  ) {}

  /** Someone waits for a key frame of `layer` of `senderId`. */
  ask(room: Room, senderId: number, layer: number, reason: KeyframeReason): void {
    let byRoom = this.#state.get(room);
    if (!byRoom) {
      byRoom = new Map();
      this.#state.set(room, byRoom);
    }
    const key = `${senderId}:${layer}`;
    let state = byRoom.get(key);
    if (!state) {
      state = { lastAt: Number.NEGATIVE_INFINITY, timer: null, reason };
      byRoom.set(key, state);
    }
    if (state.timer !== null) return; // one is due already
    const wait = state.lastAt + this.intervalMs - this.now();
    if (wait <= 0) {
      this.#send(room, senderId, layer, state, reason);
      return;
    }
    keyframeStats.heldBack++;
    state.reason = reason;
    const held = state;
    held.timer = setTimeout(() => {
      held.timer = null;
      if (this.target.waiting(room, senderId, layer)) {
        this.#send(room, senderId, layer, held, held.reason);
      }
    }, wait);
    held.timer.unref?.();
  }

  /** The sender left (or the room emptied): its pending requests go. */
  forgetSender(room: Room, senderId: number): void {
    const byRoom = this.#state.get(room);
    if (!byRoom) return;
    for (const [key, state] of byRoom) {
      if (!key.startsWith(`${senderId}:`)) continue;
      if (state.timer) clearTimeout(state.timer);
      byRoom.delete(key);
    }
    if (byRoom.size === 0) this.#state.delete(room);
  }

  /** The room emptied here: every pending request of it goes (senders on other relays too). */
  forgetRoom(room: Room): void {
    const byRoom = this.#state.get(room);
    if (!byRoom) return;
    for (const state of byRoom.values()) if (state.timer) clearTimeout(state.timer);
    this.#state.delete(room);
  }

  /** Sizes of what is kept here, and the timers pending (GET /debug/counts). */
  counts(): Record<string, number> {
    let layers = 0;
    let timers = 0;
    for (const byRoom of this.#state.values()) {
      layers += byRoom.size;
      for (const state of byRoom.values()) if (state.timer !== null) timers++;
    }
    return { keyframeRooms: this.#state.size, keyframeLayers: layers, keyframeTimers: timers };
  }

  #send(room: Room, senderId: number, layer: number, state: LayerState, reason: KeyframeReason) {
    state.lastAt = this.now();
    const text = encodeControl({ type: "keyframe_request", layer, reason });
    if (this.target.send(room, senderId, text)) keyframeStats.sent++;
  }
}
