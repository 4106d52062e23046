// Video yields to audio under backpressure. Bun drops a message for a receiver only past the
// socket limit, which is the video limit plus an audio headroom (audio-fanout.ts); video for a
// receiver that doesn't ack is stopped at the video limit here: when a publish reports
// backpressure, receivers over the limit leave the room's video topic of their format
// ("parked") and rejoin it once their buffer has drained to half the limit (Bun's drain
// callback). Old-protocol receivers, who get no audio, are parked the same way, so their limit
// stays --backpressure-limit. The frames a parked receiver missed are counted as its drops.
// No per-frame loop unless a publish reports trouble.

import type { PeerSocket } from "../peer.ts";
import type { Room } from "../rooms.ts";
import { stats } from "../stats.ts";

export class VideoParking {
  constructor(private readonly videoLimitBytes: number) {}

  /** After a video publish on the `legacy` format's topic that reported backpressure. */
  parkOverLimit(room: Room, from: PeerSocket | null, legacy: boolean): void {
    for (const peer of room.peers.values()) {
      const data = peer.data;
      if (peer === from || data.legacy !== legacy || data.acks || data.videoParked) continue;
      if (peer.getBufferedAmount() <= this.videoLimitBytes) continue;
      peer.unsubscribe(room.videoTopicOf(legacy));
      data.videoParked = true;
      data.parkedAtVideoFrame = room.framesOf(legacy);
      room.countParked(legacy, 1);
    }
  }

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
