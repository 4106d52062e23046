// How the cluster hands other relays' presence and frames to this relay's participants: the same
// topics local presence and frames use, so receivers cannot tell a remote peer from a local one.
import type { Server } from "bun";
import type { Room } from "../rooms.ts";
import type { LocalDelivery } from "./cluster.ts";

/** The part of the Fanout that takes a frame stamped by another relay. */
export interface RemoteFrameSink {
  onRemoteFrame(room: Room, message: Buffer): void;
}

export function localDelivery(server: Server<unknown>, fanout: RemoteFrameSink): LocalDelivery {
  return {
    presence(room, text) {
      // As for local joins and leaves: the room topic, and the presence topic of acking receivers.
      server.publish(room.binaryTopic, text);
      server.publish(room.presenceTopic, text);
    },
    frame(room, message) {
      fanout.onRemoteFrame(room, message);
    },
  };
}
