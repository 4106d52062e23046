// The receivers of a room's own topics (video of each wire format, audio), as the
// publish-then-count of topic-publisher.ts sees them. Acking receivers are not on the room's
// video topics (their lanes are, pacing/paced-sender.ts), nor are parked ones (video-parking.ts).
import type { PeerSocket } from "../peer.ts";
import type { Room } from "../rooms.ts";
import type { TopicReceivers, VideoReceivers } from "./topic-publisher.ts";
import { parkVideo } from "./video-parking.ts";

/** Receivers of the room's video topic of one format (`legacy`: base64 text, else binary). */
export class RoomVideoReceivers implements VideoReceivers<PeerSocket> {
  lastStatus = 1;

  constructor(
    private readonly room: Room,
    private readonly legacy: boolean,
  ) {}

  overLimit(limitBytes: number, from: PeerSocket | null, into: PeerSocket[]): number {
    let count = 0;
    for (const peer of this.room.peers.values()) {
      const data = peer.data;
      if (peer === from || data.legacy !== this.legacy || data.acks || data.videoParked) continue;
      if (peer.getBufferedAmount() > limitBytes) into[count++] = peer;
    }
    return count;
  }

  skipped(peer: PeerSocket): void {
    peer.data.framesDropped++;
  }

  stopVideo(peer: PeerSocket): void {
    parkVideo(this.room, peer);
  }
}

/** Receivers of the room's audio topic: every v1 peer that takes audio. */
export class RoomAudioReceivers implements TopicReceivers<PeerSocket> {
  lastStatus = 1;

  constructor(private readonly room: Room) {}

  overLimit(limitBytes: number, from: PeerSocket | null, into: PeerSocket[]): number {
    let count = 0;
    for (const peer of this.room.peers.values()) {
      if (peer === from || !peer.data.audio) continue;
      if (peer.getBufferedAmount() > limitBytes) into[count++] = peer;
    }
    return count;
  }

  skipped(_peer: PeerSocket): void {
    // Counted per relay only (framecast_audio_packets_dropped_total), not per receiver.
  }
}
