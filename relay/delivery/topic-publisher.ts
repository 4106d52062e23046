// Publish, then count: the one way a frame or an audio packet reaches a topic with many receivers
// (a room's video and audio topics, a sender's paced lanes), and the one place where video
// yields to audio. Bun reports one status per publish, the worst over all receivers: > 0 sent at
// once, -1 queued behind backpressure (every receiver got it), 0 dropped for at least one.
// uWS skips exactly the receivers whose buffer was over the socket limit before the send, and
// nothing drains while JS runs, so they are listed first, but only when the last publish on the
// topic saw backpressure: otherwise none can be over the limit and no receiver is looked at.
import type { PeerSocket } from "../peer.ts";

/** What publishes: a sender's socket (which skips itself) or the server. */
export interface Publisher {
  publish(topic: string, data: string | Buffer): number;
}

/** The receivers of one topic, as publish-then-count needs them (R: a socket, or a lane). */
export interface TopicReceivers<R> {
  /** Status of the last publish on the topic (> 0: every receiver took it at once). */
  lastStatus: number;
  /** Receivers of a publish by `from` with more than `limitBytes` queued now, into `into`. */
  overLimit(limitBytes: number, from: PeerSocket | null, into: R[]): number;
  /** uWS skipped this receiver for the message just published. */
  skipped(receiver: R): void;
}

/** Receivers of video, which stops for a receiver past the video limit. */
export interface VideoReceivers<R> extends TopicReceivers<R> {
  /** Past the video limit: no more video for now; the rest of its buffer is for sound. */
  stopVideo(receiver: R): void;
}

export class TopicPublisher<R> {
  /** Receivers found over a limit (reused, no allocation); emptied so it holds no closed socket. */
  readonly #found: R[] = [];

  constructor(
    /** What Bun enforces per socket: the video limit plus the audio headroom (audio-fanout.ts). */
    private readonly socketLimitBytes: number,
    /** Where video stops for a receiver (--backpressure-limit). */
    private readonly videoLimitBytes: number,
  ) {}

  /** Publishes `data` on `topic`; returns how many receivers uWS skipped (each told `skipped`). */
  publish(
    receivers: TopicReceivers<R>,
    via: Publisher,
    topic: string,
    data: string | Buffer,
    from: PeerSocket | null,
  ): number {
    const found = this.#found;
    const lastStatus = receivers.lastStatus;
    const before = lastStatus <= 0 ? receivers.overLimit(this.socketLimitBytes, from, found) : 0;
    const status = via.publish(topic, data);
    receivers.lastStatus = status;
    let dropped = 0;
    if (status === 0) {
      // Rare: a drop right after a clean publish (a control message filled a buffer): look now.
      dropped = lastStatus <= 0 ? before : receivers.overLimit(this.socketLimitBytes, from, found);
      for (let i = 0; i < dropped; i++) receivers.skipped(found[i] as R);
    }
    if (found.length > 0) found.length = 0;
    return dropped;
  }

  /** As publish, for video: if someone has backpressure, video yields to audio after it. */
  publishVideo(
    receivers: VideoReceivers<R>,
    via: Publisher,
    topic: string,
    data: string | Buffer,
    from: PeerSocket | null,
  ): number {
    const dropped = this.publish(receivers, via, topic, data, from);
    if (receivers.lastStatus <= 0) this.yieldToAudio(receivers, from);
    return dropped;
  }

  /**
   * Video yields to audio: receivers past the video limit get no more video for now, so what
   * their socket takes beyond it (the audio headroom) is left for sound.
   */
  yieldToAudio(receivers: VideoReceivers<R>, from: PeerSocket | null): void {
    const found = this.#found;
    const over = receivers.overLimit(this.videoLimitBytes, from, found);
    for (let i = 0; i < over; i++) receivers.stopVideo(found[i] as R);
    if (found.length > 0) found.length = 0;
  }
}
