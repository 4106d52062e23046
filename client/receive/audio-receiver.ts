// The sound receive path: attribute each Opus packet to its sender, count packets and gaps in
// its sequence (lost packets), and hand it to the outputs that play or record sound.

import type { Roster } from "../../client-core/roster.ts";
import {
  type AudioTrackInfo,
  audioTrackAnnouncement,
  framePayload,
  readCaptureTime,
  readSenderId,
  readSequence,
  validateAudioPacket,
} from "../../protocol/index.ts";
import type { FrameSink, StreamInfo } from "./streams.ts";

export interface AudioStreamStats {
  packets: number;
  /** Packets missing from the sequence (lost or dropped on the way). */
  lost: number;
  lastSequence: number | null;
}

export class AudioReceiver {
  readonly stats = new Map<number, AudioStreamStats>();
  readonly tracks = new Map<number, AudioTrackInfo>();
  #stopped = false;

  constructor(
    private readonly roster: Roster,
    private readonly sinks: FrameSink[],
    private readonly log: (line: string) => void,
  ) {}

  track(id: number, track: AudioTrackInfo): void {
    const stream = this.roster.streamOf(id);
    const before = this.tracks.get(id);
    this.tracks.set(id, track);
    if (before && before.muted !== track.muted) {
      this.log(`${stream.name} #${id} ${track.muted ? "muted" : "unmuted"} their microphone`);
    }
    for (const sink of this.sinks) sink.audioTrack?.(stream, track);
  }

  packet(message: Uint8Array): void {
    if (this.#stopped || validateAudioPacket(message) !== null) return;
    const id = readSenderId(message);
    // Packets without an announcement (a relay in a cluster doesn't pass tracks on between
    // relays): assume what every framecast sender sends.
    if (!this.tracks.has(id)) this.track(id, audioTrackAnnouncement());
    const stream = this.roster.streamOf(id);
    let stats = this.stats.get(id);
    if (!stats) {
      stats = { packets: 0, lost: 0, lastSequence: null };
      this.stats.set(id, stats);
    }
    const sequence = readSequence(message);
    if (stats.lastSequence !== null) {
      const gap = (sequence - stats.lastSequence - 1) >>> 0;
      if (gap > 0 && gap < 1000) stats.lost += gap;
    }
    stats.lastSequence = sequence;
    stats.packets++;
    const opus = framePayload(message);
    const captureTimeMs = readCaptureTime(message);
    for (const sink of this.sinks) sink.audio?.(stream, opus, captureTimeMs);
  }

  end(stream: StreamInfo): void {
    const stats = this.stats.get(stream.id);
    if (stats && stats.packets > 0) {
      this.log(
        `received ${stats.packets} audio packets from ${stream.name} #${stream.id} (${stats.lost} lost)`,
      );
    }
    this.stats.delete(stream.id);
    this.tracks.delete(stream.id);
  }

  stop(): void {
    this.#stopped = true;
  }
}
