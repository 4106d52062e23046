// Video yields to audio under backpressure. Bun drops a message for a receiver only past the
// socket limit, which is the video limit plus an audio headroom (audio-fanout.ts); video for a
// receiver that doesn't ack is stopped at the video limit (topic-publisher.ts decides when):
// it leaves the room's video topic of its format ("parked") and rejoins it once its buffer has
// drained to half the limit (Bun's drain callback). Old-protocol receivers, who get no audio,
// are parked the same way, so their limit stays --backpressure-limit. The frames a parked
// receiver missed are counted as its drops. No per-frame loop unless a publish reports trouble.
import type { PeerSocket } from "../peer.ts";
import type { Room } from "../rooms.ts";
import { stats } from "../stats.ts";

/** The receiver leaves its format's video topic until it drains (VideoParking.onDrain). */
export function parkVideo(room: Room, peer: PeerSocket): void {
  const data = peer.data;
  peer.unsubscribe(room.videoTopicOf(data.legacy));
  data.videoParked = true;
  data.parkedAtVideoFrame = room.framesOf(data.legacy);
  room.countParked(data.legacy, 1);
}

export class VideoParking {
  constructor(private readonly videoLimitBytes: number) {}

  /** Bun's drain callback: a parked receiver back under half the limit gets video again. */
  onDrain(ws: PeerSocket): void {
    const data = ws.data;
    const room = data.room;
    if (!data.videoParked || !room) return;
    if (ws.getBufferedAmount() > this.videoLimitBytes / 2) return;
    const missed = room.framesOf(data.legacy) - data.parkedAtVideoFrame;
    data.framesDropped += missed;
    stats.framesDropped += missed;
    data.videoParked = false;
    room.countParked(data.legacy, -1);
    ws.subscribe(room.videoTopicOf(data.legacy));
  }
}
