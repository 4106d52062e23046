// The bus of a lone relay: no other relays, so nothing to share. Rooms never get remoteNodes,
// so the fan-out never calls publishFrame.
import type { AudioTrackMessage, PeerInfo } from "../../protocol/index.ts";
import { MemoryModerationStore } from "../moderation/moderation-store.ts";
import type { RoomBus } from "./room-bus.ts";

export class LocalBus implements RoomBus {
  #nextPeerId = 1;

  /** Ids are unique for the relay's lifetime, wrapping past 2^32 - 1 back to 1. */
  allocatePeerId(): number {
    const id = this.#nextPeerId;
    this.#nextPeerId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  async prepareRoom(): Promise<void> {}

  remotePeers(): PeerInfo[] {
    return [];
  }

  remoteAudioTracks(): AudioTrackMessage[] {
    return [];
  }

  localJoined(): void {}

  localUpdated(): void {}

  localLeft(): void {}

  publishFrame(): void {}

  deliverTo(): void {}

  registerMetrics(): void {}

  async stop(): Promise<void> {}

  readonly moderation = new MemoryModerationStore();

  publishRoomEvent(): void {}

  onRoomEvent(): void {}

  readonly nodeId = 0;
}
