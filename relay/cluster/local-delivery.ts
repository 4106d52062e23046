// How the cluster hands other relays' presence and frames to this relay's participants: the same
// topics local presence and frames use, so receivers cannot tell a remote peer from a local one.
import type { Server } from "bun";
import { encodeControl } from "../../protocol/index.ts";
import type { Room } from "../rooms.ts";
import type { LocalDelivery } from "./room-bus.ts";

/** The parts of the Fanout that take frames stamped by another relay. */
export interface RemoteFrameSink {
  onRemoteFrame(room: Room, message: Buffer): void;
  /** Who is in the room changed: senders here learn the codecs their receivers need. */
  codecsChanged(room: Room): void;
  /** A sender on another relay left: its paced and H.264 streams here go. */
  forgetRemoteSender(room: Room, senderId: number): void;
  readonly pacing: {
    forgetSender(room: Room, senderId: number): void;
    announce(room: Room, senderId: number, count: number): void;
  };
}

export function localDelivery(server: Server<unknown>, fanout: RemoteFrameSink): LocalDelivery {
  return {
    presence(room, text, share = false) {
      // As for local joins and leaves: the presence topic every v1 participant is on, or for
      // a share the one only receivers that take shares are on.
      server.publish(share ? room.sharePresenceTopic : room.presenceTopic, text);
      fanout.codecsChanged(room);
    },
    frame(room, message) {
      fanout.onRemoteFrame(room, message);
    },
    senderLayers(room, id, count) {
      // Its receivers here move off layers it no longer sends (relay/delivery/pacing/ack-pacing.ts).
      fanout.pacing.announce(room, id, count);
    },
    audioTrack(room, track) {
      // As a local sender's: on the audio topic, to every v1 participant that takes audio. Late
      // joiners get it from RoomBus.remoteAudioTracks, so nothing is kept on the Room.
      server.publish(room.audioTopic, encodeControl(track));
    },
    senderLeft(room, id) {
      // Acking receivers had a per-sender topic for it (relay/delivery/pacing/ack-pacing.ts).
      fanout.forgetRemoteSender(room, id);
    },
  };
}
