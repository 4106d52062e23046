// Audio (kind 3) to every v1 receiver that takes it, on the room's audio topic: one native
// publish per packet, like video, but never paced by acks (the window counts video only) and
// never held back by video backpressure: receivers' sockets accept AUDIO_HEADROOM_BYTES more
// than the video limit, and video is parked at that limit (video-parking.ts), so a slow receiver
// loses pictures before sound. Old-protocol receivers are never on the topic.
import type { Server } from "bun";
import {
  type AudioTrackAnnouncement,
  type AudioTrackMessage,
  audioTrackMessage,
  encodeControl,
} from "../../protocol/index.ts";
import type { PeerSocket } from "../peer.ts";
import type { Room } from "../rooms.ts";
import { stats } from "../stats.ts";
import { TopicPublisher } from "./topic-publisher.ts";

/** Bytes a receiver's socket may hold beyond the video limit, for audio only (minutes of it). */
export const AUDIO_HEADROOM_BYTES = 256 * 1024;

/** The socket limit Bun enforces: video stops at `backpressureLimitBytes`, audio goes on to this. */
export function socketBackpressureLimit(backpressureLimitBytes: number): number {
  return backpressureLimitBytes + AUDIO_HEADROOM_BYTES;
}

export class AudioFanout {
  #server!: Server<unknown>;
  readonly #publisher: TopicPublisher<PeerSocket>;

  constructor(socketLimitBytes: number, videoLimitBytes: number) {
    this.#publisher = new TopicPublisher(socketLimitBytes, videoLimitBytes);
  }

  attach(server: Server<unknown>): void {
    this.#server = server;
  }

  /** A validated, stamped packet from `from` (null: from another relay). */
  deliver(room: Room, from: PeerSocket | null, message: Buffer): void {
    const receivers = room.audioPeers - (from?.data.audio ? 1 : 0);
    if (receivers <= 0) return;
    // Publish, then count (topic-publisher.ts): dropped are the receivers over the socket limit
    // before the publish (video long parked, still not reading), not one it just filled.
    const via = from ?? this.#server;
    const dropped = this.#publisher.publish(
      room.audioReceivers,
      via,
      room.audioTopic,
      message,
      from,
    );
    stats.audioPacketsDropped += dropped;
    stats.audioPacketsOut += receivers - dropped;
    stats.audioBytesOut += (receivers - dropped) * message.byteLength;
  }

  /**
   * A checked audio_track from a local sender: kept for late joiners and passed on here (the
   * caller republishes the roster, which carries it to other relays). False: not in a room.
   */
  announce(ws: PeerSocket, track: AudioTrackAnnouncement): boolean {
    const room = ws.data.room;
    if (!room) return false;
    const { type: _, ...info } = track;
    ws.data.audioTrack = info;
    const text = encodeControl(audioTrackMessage(ws.data.id, info));
    room.audioTracks.set(ws.data.id, text);
    ws.publish(room.audioTopic, text);
    return true;
  }

  /**
   * Right after a welcome: every kept track, local and (`remote`) on other relays, so the
   * newcomer can set up decoders first.
   */
  replayTracks(ws: PeerSocket, remote: AudioTrackMessage[] = []): void {
    const room = ws.data.room;
    if (!room || !ws.data.audio) return;
    for (const [id, text] of room.audioTracks) if (id !== ws.data.id) ws.send(text);
    for (const track of remote) ws.send(encodeControl(track));
  }
}
