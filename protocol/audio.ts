// Audio in wire protocol v1 (docs/PROTOCOL.md, "Audio"): one Opus packet per binary message with
// the same 20-byte header as video (kind 3), and the `audio_track` control message a sender uses
// to announce its track before the first packet. Pure code, shared by relay, CLI, bench and page.
import {
  FrameKind,
  type FrameProblem,
  frameKind,
  HEADER_BYTES,
  PROTOCOL_VERSION,
  readVersion,
  validateFrame,
  writeHeader,
} from "./frame.ts";

/** Opus packets carry 20 ms of sound: 50 per second per stream. */
export const AUDIO_PACKET_MS = 20;
export const AUDIO_PACKETS_PER_SECOND = 1000 / AUDIO_PACKET_MS;
/** Opus always runs at 48 kHz inside (RFC 7587); other rates are only what the encoder was fed. */
export const OPUS_SAMPLE_RATE = 48_000;

/** Sample rates an `audio_track` may name (Opus's own input rates). */
const OPUS_RATES = new Set([8000, 12000, 16000, 24000, 48000]);

/** What a sender announces before its first packet, and again whenever it mutes or unmutes. */
export interface AudioTrackInfo {
  codec: "opus";
  sampleRate: number;
  channels: 1 | 2;
  /** True while the sender's mic is muted (it sends no packets then). */
  muted: boolean;
}

/** Sender → relay (the one client → relay control message of protocol v1). */
export interface AudioTrackAnnouncement extends AudioTrackInfo {
  type: "audio_track";
}

/** Relay → others: the announcement with the sender's id (repeated to everyone who joins later). */
export interface AudioTrackMessage extends AudioTrackAnnouncement {
  id: number;
}

/** Builds one audio message: header (kind 3) + one Opus packet. */
export function encodeAudioPacket(
  opus: Uint8Array,
  captureTimeMs: number,
  sequence: number,
  senderId = 0,
): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(HEADER_BYTES + opus.byteLength);
  writeHeader(message, { kind: FrameKind.Audio, flags: 0, senderId, captureTimeMs, sequence });
  message.set(opus, HEADER_BYTES);
  return message;
}

/** True when a binary message claims to be audio (cheap: two byte reads; validate before use). */
export function isAudioMessage(message: Uint8Array): boolean {
  return readVersion(message) === PROTOCOL_VERSION && frameKind(message) === FrameKind.Audio;
}

/** Checks an audio message: header, kind 3, 1 to MAX_AUDIO_PAYLOAD_BYTES of Opus. */
export function validateAudioPacket(message: Uint8Array): FrameProblem | null {
  if (message.byteLength >= HEADER_BYTES && frameKind(message) !== FrameKind.Audio)
    return "bad_kind";
  return validateFrame(message, Number.POSITIVE_INFINITY);
}

/** The announcement a sender of mono 48 kHz Opus sends (the CLI and the page both do). */
export function audioTrackAnnouncement(muted = false, channels: 1 | 2 = 1): AudioTrackAnnouncement {
  return { type: "audio_track", codec: "opus", sampleRate: OPUS_SAMPLE_RATE, channels, muted };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The track fields of a parsed JSON value, checked and normalised (unknown fields dropped, so the
 * relay never forwards anything but these), or null when they are not a valid Opus track.
 */
export function readAudioTrack(value: unknown): AudioTrackInfo | null {
  if (!isRecord(value) || value.type !== "audio_track" || value.codec !== "opus") return null;
  const { sampleRate, channels, muted } = value;
  if (typeof sampleRate !== "number" || !OPUS_RATES.has(sampleRate)) return null;
  if (channels !== 1 && channels !== 2) return null;
  if (muted !== undefined && typeof muted !== "boolean") return null;
  return { codec: "opus", sampleRate, channels, muted: muted === true };
}

/** The checked announcement (unknown fields dropped), or null. */
export function readAudioTrackAnnouncement(value: unknown): AudioTrackAnnouncement | null {
  const track = readAudioTrack(value);
  return track ? { type: "audio_track", ...track } : null;
}

/** The relay's forwarded form: the sender's checked track stamped with its id. */
export function audioTrackMessage(id: number, track: AudioTrackInfo): AudioTrackMessage {
  return { type: "audio_track", id, ...track };
}

/** Parses a relay → client `audio_track` (with the sender's id), or null. */
export function parseAudioTrackMessage(value: unknown): AudioTrackMessage | null {
  const track = readAudioTrack(value);
  if (!track || !isRecord(value) || typeof value.id !== "number") return null;
  return audioTrackMessage(value.id, track);
}
