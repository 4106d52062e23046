// --record DIR: one ffmpeg per participant muxing the received JPEGs, untouched (-c copy), into
// DIR/<name>-<id>.mkv at a constant frame rate: the sender's, measured from its first second of
// frames (Matroska declares it up front, and ffprobe's r_frame_rate reports it). Each frame goes
// to the slot of the frame grid its capture time falls in (arrival time on the old protocol):
// a gap is filled by repeating the previous frame, so the file keeps real time; a frame early
// for its slot is dropped. Ending stdin lets ffmpeg write the trailer.
//
// Sound goes into the same file, on the same timeline: each Opus packet is written to ffmpeg's
// fd 3 as an Ogg page whose granule position is its capture time minus the grid's origin, so a
// sound and the picture captured at the same instant land at the same time in the file (-copyts
// keeps both inputs' timestamps as given). A participant who sends sound but no picture for
// 2 s gets a sound-only file.
//
// H.264 (kind 4) is copied as sent too (-c:v copy), on the same grid, but a delta frame can't be
// repeated or dropped alone: each access unit goes to ffmpeg in an MPEG transport stream
// (mpegts-writer.ts) whose PTS is its slot's time, so a gap stays a gap in the file (a pause
// longer than MAX_FILL_SECONDS is shortened to it, as for JPEG), and the sound, on the same
// origin and lag, plays with it. The file starts at a key frame; a frame that couldn't be
// written makes it wait for the next key frame. A sender that changes codec continues in a new
// file.
//
// Nothing received is lost: sound that came before the file opened is written from its first
// packet (the picture grid starts at the earlier of the first picture and the first sound, the
// first picture filling the slots before it). A participant who adds picture to a sound-only
// file, or sound to a picture-only one, continues in a new file with both, named NAME-ID-2.mkv
// (-3, ...): no name is used twice. Each file ends with one line, "recorded NAME: N frames
// (F in the file: +R repeated, D dropped), M packets (S skipped) -> FILE", counting what was
// received for it.

import { closeSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FileSink, Subprocess } from "bun";
import type { AudioTrackInfo } from "../../protocol/index.ts";
import { waitOrKill } from "../child-exit.ts";
import { type FrameSink, fileSafeName, type StreamInfo } from "../receive/streams.ts";
import { AUDIO_PIPE_FD } from "../send/audio-source.ts";
import { OggOpusWriter } from "../send/ogg-opus.ts";
import { estimateFps, FRAMES_TO_ESTIMATE, MAX_WAIT_MS } from "./frame-rate-estimate.ts";
import { MpegTsWriter, TS_TICKS_PER_MS } from "./mpegts-writer.ts";
import { pictureLag, placePicture } from "./picture-timeline.ts";
import { PipeWriter } from "./pipe-writer.ts";
import { soundGranule } from "./sound-timeline.ts";

/** A participant whose sound comes but no picture this long gets a sound-only recording. */
const AUDIO_ONLY_AFTER_MS = 2000;
/**
 * Pictures that may wait for a briefly slow ffmpeg (busy disk or CPU) instead of being dropped:
 * 64 MiB, some 10 s of 640x480 at 30 fps.
 */
const RECORD_PIPE_ALLOWANCE_BYTES = 64 * 1024 * 1024;
/** Sound kept while a recording waits for its picture or its frame rate (5 s of packets). */
const MAX_PENDING_PACKETS = 250;

interface TimedPacket {
  opus: Uint8Array;
  /** Capture time of its first sample (ms since the epoch). */
  timeMs: number;
}

interface AudioPipe {
  /** Our end of ffmpeg's fd 3: Bun hands it over as a number we must close ourselves. */
  fd: number;
  sink: FileSink;
  ogg: OggOpusWriter;
  granule: number;
  packets: number;
}

interface Timed {
  /** A JPEG, or an H.264 access unit (the recording's codec). */
  jpeg: Uint8Array;
  /** Capture time, or arrival time when the sender gives none (ms since the epoch). */
  timeMs: number;
  /** H.264: a key frame. */
  key?: boolean;
}

type PictureCodec = "jpeg" | "h264";

interface Recording {
  stream: StreamInfo;
  path: string;
  /** Null until the frame rate is known (the first frames wait in `pending`). */
  output: { process: Subprocess; writer: PipeWriter | null; fps: number | null } | null;
  pending: Timed[];
  /** Its sound track, when it announced one and sound is wanted. */
  track: AudioTrackInfo | undefined;
  /** Open once the output is, when there is a track. */
  audio: AudioPipe | null;
  /** Sound waiting for the output to open. */
  pendingAudio: TimedPacket[];
  /** How much later than their capture times the pictures sit in the file (smoothed), or null. */
  videoLagMs: number | null;
  firstAtMs: number;
  /** Time of grid slot 0. */
  originMs: number;
  /** Frames in the file so far: the next frame's slot. */
  frames: number;
  /** Frames received for this file (written, or dropped below). */
  received: number;
  /** Copies of a previous frame written to fill a gap in the grid. */
  repeats: number;
  /** Frames not written: the disk (or ffmpeg) too slow, or early for a slot already taken. */
  dropped: number;
  /** Why frames were dropped, for the summary line. */
  slowDrops: number;
  /** Sound packets received for this file (written, or skipped below). */
  receivedPackets: number;
  /** Packets not written: more than the pending allowance before the file opened, or ffmpeg gone. */
  skippedPackets: number;
  last: Uint8Array | null;
  /** What its pictures are; null until the first. */
  codec: PictureCodec | null;
  /** H.264: the transport stream to ffmpeg, and the next free slot of the grid. */
  ts: MpegTsWriter | null;
  slot: number;
  /** H.264: write nothing until a key frame (at the start and after a frame not written). */
  needsKey: boolean;
}

/** What the status line shows for a stream being recorded. */
export interface RecordingProgress {
  path: string;
  frames: number;
  /** Null while the frame rate is being measured (or for a sound-only file). */
  fps: number | null;
  /** Opus packets written so far. */
  audioPackets: number;
}

/**
 * ffmpeg arguments: MJPEG on stdin at `fps` (null: sound only), or H.264 in MPEG-TS with its
 * own timestamps (`codec` "h264"), and Ogg Opus on fd 3 with `audio`. -copyts keeps the
 * pictures' timeline (frame k at k / fps, or each unit's PTS) and the sound's granules, both
 * counted from the recording's origin, as they are.
 */
export function recordArgs(
  path: string,
  fps: number | null,
  audio = false,
  codec: PictureCodec = "jpeg",
): string[] {
  const args = ["-hide_banner", "-nostdin", "-loglevel", "error"];
  const maps: string[] = [];
  if (fps !== null && codec === "h264") {
    // A short look is enough: the first unit is a key frame with SPS and PPS.
    args.push("-analyzeduration", "500000", "-f", "mpegts", "-i", "pipe:0");
    maps.push("-map", "0:v", "-copyts");
  } else if (fps !== null) {
    args.push("-f", "mjpeg", "-framerate", String(fps), "-i", "pipe:0");
    maps.push("-map", "0:v");
  }
  if (audio) {
    // Small probe: the Ogg header says all ffmpeg needs; packets come live, 50 a second.
    args.push("-probesize", "32", "-analyzeduration", "0");
    args.push("-f", "ogg", "-i", `pipe:${AUDIO_PIPE_FD}`);
    maps.push("-map", `${fps === null ? 0 : 1}:a`);
    if (!maps.includes("-copyts")) maps.push("-copyts");
  }
  return args.concat(maps, ["-c", "copy", "-f", "matroska", "-y", path]);
}

export class Recorder implements FrameSink {
  readonly #dir: string;
  readonly #ffmpeg: string;
  readonly #log: (line: string) => void;
  /** Used when a stream ends before it showed a rate (a single frame). */
  readonly #fallbackFps: number;
  readonly #open = new Map<number, Recording>();
  readonly #finishing: Promise<void>[] = [];
  /** Announced sound tracks, by participant (only set when sound is wanted). */
  readonly #tracks = new Map<number, AudioTrackInfo>();
  /** Sound of participants with no recording yet: when it began, and the packets so far. */
  readonly #soundFirst = new Map<
    number,
    { stream: StreamInfo; sinceMs: number; packets: TimedPacket[] }
  >();
  /** Every path handed out, so a continuation never reuses one whose ffmpeg is still starting. */
  readonly #usedPaths = new Set<string>();

  constructor(dir: string, ffmpeg: string, log: (line: string) => void, fallbackFps = 15) {
    this.#dir = dir;
    this.#ffmpeg = ffmpeg;
    this.#log = log;
    this.#fallbackFps = fallbackFps;
    mkdirSync(dir, { recursive: true });
  }

  frame(stream: StreamInfo, jpeg: Uint8Array, captureTimeMs: number | null = null): void {
    const now = performance.timeOrigin + performance.now();
    this.#picture(stream, { jpeg: jpeg.slice(), timeMs: captureTimeMs ?? now }, "jpeg", now);
  }

  h264(stream: StreamInfo, unit: Uint8Array, captureTimeMs: number, key: boolean): void {
    const now = performance.timeOrigin + performance.now();
    this.#picture(stream, { jpeg: unit.slice(), timeMs: captureTimeMs, key }, "h264", now);
  }

  #picture(stream: StreamInfo, frame: Timed, codec: PictureCodec, now: number): void {
    let recording = this.#open.get(stream.id);
    if (!recording) {
      recording = this.#create(stream, now);
      this.#open.set(stream.id, recording);
      const sound = recording.track ? " (picture and sound)" : "";
      this.#log(`recording ${stream.name}${sound} to ${recording.path}`);
    }
    if (recording.output && recording.output.fps === null) {
      // Picture after sound: the sound-only file ends here and a new one takes both.
      this.#continueInNewFile(recording, "picture", now);
      recording = this.#open.get(stream.id) as Recording;
    }
    if (recording.codec !== null && recording.codec !== codec) {
      // One file holds one video codec: JPEG then H.264 (or back) continues in a new file.
      this.#continueInNewFile(recording, codec === "h264" ? "H.264" : "JPEG", now);
      recording = this.#open.get(stream.id) as Recording;
    }
    recording.codec = codec;
    recording.received++;
    if (codec === "h264" && recording.pending.length === 0 && !recording.output && !frame.key) {
      recording.dropped++; // a file starts at a key frame (the relay's first is one anyway)
      return;
    }
    if (recording.output) {
      this.#place(recording, frame);
      return;
    }
    recording.pending.push(frame);
    const enough =
      recording.pending.length >= FRAMES_TO_ESTIMATE || now - recording.firstAtMs >= MAX_WAIT_MS;
    if (enough) this.#begin(recording);
  }

  audioTrack(stream: StreamInfo, track: AudioTrackInfo): void {
    this.#tracks.set(stream.id, track);
    const recording = this.#open.get(stream.id);
    if (recording && !recording.track && recording.output?.fps !== null) {
      // Sound started after the picture (camera first, microphone later): this file has no
      // sound track, so it ends here and a new one takes both.
      const now = performance.timeOrigin + performance.now();
      this.#continueInNewFile(recording, "sound", now);
    }
  }

  /** Ends `recording` and opens the participant's next file (its own name), which takes both. */
  #continueInNewFile(
    recording: Recording,
    what: "picture" | "sound" | "H.264" | "JPEG",
    now: number,
  ): void {
    const stream = recording.stream;
    this.#open.delete(stream.id);
    this.#finishing.push(this.#finish(recording));
    const next = this.#create(stream, now);
    this.#open.set(stream.id, next);
    // Same form as a first file's line, so whoever watches for it sees the new one too.
    const both = what === "picture" || what === "sound" || next.track;
    this.#log(
      `${stream.name} started sending ${what}: recording ${stream.name}` +
        `${both ? " (picture and sound)" : ""} to ${next.path}`,
    );
  }

  audio(stream: StreamInfo, opus: Uint8Array, captureTimeMs: number): void {
    const packet = { opus: opus.slice(), timeMs: captureTimeMs };
    let recording = this.#open.get(stream.id);
    if (!recording) {
      // Wait a moment for a picture: most participants send both, and one file holds both.
      const now = performance.timeOrigin + performance.now();
      let first = this.#soundFirst.get(stream.id);
      if (!first) {
        first = { stream, sinceMs: now, packets: [] };
        this.#soundFirst.set(stream.id, first);
      }
      first.packets.push(packet);
      if (first.packets.length > MAX_PENDING_PACKETS) first.packets.shift();
      if (now - first.sinceMs >= AUDIO_ONLY_AFTER_MS) this.#openSoundOnly(stream, now);
      return;
    }
    if (!recording.track) {
      // Sound for a picture-only file: its track came late (or is coming); a new file takes both.
      if (!this.#tracks.has(stream.id) || recording.output?.fps === null) return;
      const now = performance.timeOrigin + performance.now();
      this.#continueInNewFile(recording, "sound", now);
      recording = this.#open.get(stream.id) as Recording;
    }
    recording.receivedPackets++;
    if (recording.output) this.#writeAudio(recording, packet);
    else {
      recording.pendingAudio.push(packet);
      if (recording.pendingAudio.length > MAX_PENDING_PACKETS) {
        recording.pendingAudio.shift();
        recording.skippedPackets++;
      }
    }
  }

  end(stream: StreamInfo): void {
    // Sound of less than 2 s with no picture yet still gets its file.
    if (this.#soundFirst.has(stream.id)) this.#openSoundOnly(stream, Date.now());
    this.#tracks.delete(stream.id);
    this.#soundFirst.delete(stream.id);
    const recording = this.#open.get(stream.id);
    if (!recording) return;
    this.#open.delete(stream.id);
    this.#finishing.push(this.#finish(recording));
  }

  async close(): Promise<void> {
    for (const { stream } of [...this.#soundFirst.values()])
      this.#openSoundOnly(stream, Date.now());
    for (const recording of this.#open.values()) this.#finishing.push(this.#finish(recording));
    this.#open.clear();
    await Promise.all(this.#finishing);
  }

  /** For the status line: where a stream goes and how many frames are written. */
  progress(id: number): RecordingProgress | null {
    const recording = this.#open.get(id);
    if (!recording) return null;
    return {
      path: recording.path,
      frames: recording.frames,
      fps: recording.output?.fps ?? null,
      audioPackets: recording.audio?.packets ?? 0,
    };
  }

  /** A new file for `stream` (the caller says so); nothing spawned yet. */
  #create(stream: StreamInfo, now: number): Recording {
    const base = `${fileSafeName(stream.name)}-${stream.id}`;
    let path = join(this.#dir, `${base}.mkv`);
    // A continuation, or a reconnect bringing the same participant back: never reuse a name.
    for (let n = 2; existsSync(path) || this.#usedPaths.has(path); n++) {
      path = join(this.#dir, `${base}-${n}.mkv`);
    }
    this.#usedPaths.add(path);
    const track = this.#tracks.get(stream.id);
    // Sound that came before the first picture joins it, from its first packet.
    const earlier = track ? (this.#soundFirst.get(stream.id)?.packets ?? []) : [];
    this.#soundFirst.delete(stream.id);
    return {
      stream,
      path,
      output: null,
      pending: [],
      track,
      audio: null,
      pendingAudio: earlier,
      videoLagMs: null,
      firstAtMs: now,
      originMs: 0,
      frames: 0,
      received: 0,
      repeats: 0,
      dropped: 0,
      slowDrops: 0,
      receivedPackets: earlier.length,
      skippedPackets: 0,
      last: null,
      codec: null,
      ts: null,
      slot: 0,
      needsKey: true,
    };
  }

  /** The rate is known (or the stream ended): open the file and place the waiting frames. */
  #begin(recording: Recording): void {
    const fps = estimateFps(recording.pending.map((frame) => frame.timeMs)) ?? this.#fallbackFps;
    const process = this.#spawn(recording, fps);
    const writer = new PipeWriter(process.stdin as FileSink, RECORD_PIPE_ALLOWANCE_BYTES);
    recording.output = { process, writer, fps };
    // Sound that came first (a continuation, or a microphone a moment ahead of the camera)
    // starts the file too: the first picture fills the slots before it.
    const firstPicture = recording.pending[0]?.timeMs ?? Number.POSITIVE_INFINITY;
    const firstSound = recording.pendingAudio[0]?.timeMs ?? Number.POSITIVE_INFINITY;
    const origin = Math.min(firstPicture, firstSound);
    recording.originMs = Number.isFinite(origin) ? origin : 0;
    const waiting = recording.pending;
    recording.pending = [];
    for (const frame of waiting) this.#place(recording, frame);
    this.#flushAudio(recording);
  }

  /** Sound and no picture for 2 s (or at the end): a sound-only file, if it announced a track. */
  #openSoundOnly(stream: StreamInfo, now: number): void {
    if (!this.#tracks.has(stream.id)) {
      this.#soundFirst.delete(stream.id); // no track announced: nothing to open a file with
      return;
    }
    const recording = this.#create(stream, now);
    this.#open.set(stream.id, recording);
    this.#beginSoundOnly(recording);
  }

  /** A participant who sends sound and no picture: a sound-only file from its first packet. */
  #beginSoundOnly(recording: Recording): void {
    if (!recording.track) return;
    // The packets of the first 2 s (taken by #create) open the file: none is lost.
    const waiting = recording.pendingAudio;
    recording.originMs = waiting[0]?.timeMs ?? performance.timeOrigin + performance.now();
    recording.output = { process: this.#spawn(recording, null), writer: null, fps: null };
    this.#log(`recording ${recording.stream.name} (sound only) to ${recording.path}`);
    this.#flushAudio(recording);
  }

  #spawn(recording: Recording, fps: number | null): Subprocess {
    const track = recording.track;
    const codec = recording.codec ?? "jpeg";
    const args = recordArgs(recording.path, fps, Boolean(track), codec);
    if (fps !== null && codec === "h264") recording.ts = new MpegTsWriter();
    const process = Bun.spawn([this.#ffmpeg, ...args], {
      // Its own process group: a terminal Ctrl-C must not cut the file short; we end its pipes
      // on exit so it writes the Matroska index (and it sees EOF if we die).
      detached: true,
      stdio: [
        fps === null ? "ignore" : "pipe",
        "ignore",
        "pipe",
        ...(track ? ["pipe" as const] : []),
      ],
    });
    if (track) {
      const ogg = new OggOpusWriter(recording.stream.id);
      const fd = process.stdio[AUDIO_PIPE_FD] as unknown as number;
      const sink = Bun.file(fd).writer();
      sink.write(ogg.header(track.channels, track.sampleRate));
      void sink.flush();
      recording.audio = { fd, sink, ogg, granule: 0, packets: 0 };
    }
    return process;
  }

  #flushAudio(recording: Recording): void {
    const waiting = recording.pendingAudio;
    recording.pendingAudio = [];
    for (const packet of waiting) this.#writeAudio(recording, packet);
  }

  /** One packet as one Ogg page, its granule (end of the packet) on the file's timeline. */
  #writeAudio(recording: Recording, packet: TimedPacket): void {
    const audio = recording.audio;
    if (!audio) {
      recording.skippedPackets++;
      return;
    }
    const granule = soundGranule(
      packet.timeMs,
      recording.originMs,
      recording.videoLagMs,
      audio.granule,
    );
    audio.granule = granule;
    try {
      audio.sink.write(audio.ogg.packet(packet.opus, granule));
      void audio.sink.flush();
      audio.packets++;
    } catch {
      recording.skippedPackets++;
      recording.audio = null; // ffmpeg went away; its exit is reported when the file is finished
    }
  }

  /** Writes `frame` into its slot of the grid, repeating the previous frame over a gap. */
  #place(recording: Recording, frame: Timed): void {
    const output = recording.output;
    if (!output?.writer || output.fps === null) {
      recording.dropped++;
      return;
    }
    if (recording.ts) {
      this.#placeH264(recording, output.writer, recording.ts, output.fps, frame);
      return;
    }
    const fps = output.fps;
    // The first picture may fill slots too: when sound started the file before it.
    const placement = placePicture(frame.timeMs, recording.originMs, recording.frames, fps, true);
    if (!placement) {
      recording.dropped++;
      return;
    }
    const { repeats } = placement;
    recording.originMs = placement.originMs;
    const parts = [...Array<Uint8Array>(repeats).fill(recording.last ?? frame.jpeg), frame.jpeg];
    // One write for the repeats and the frame: they land in the file together or not at all.
    if (output.writer.write(parts.length === 1 ? frame.jpeg : concat(parts))) {
      recording.frames += parts.length;
      recording.repeats += repeats;
      // Where the picture landed against its capture time (a frame early for a taken slot goes
      // one later): the sound follows the same offset, so both stay together in the file.
      recording.videoLagMs = pictureLag(
        recording.videoLagMs,
        recording.frames,
        fps,
        frame.timeMs,
        recording.originMs,
      );
    } else {
      recording.dropped++;
      recording.slowDrops++;
    }
    recording.last = frame.jpeg;
  }

  /**
   * An H.264 unit in the slot of the frame grid its capture time falls in, as a JPEG would be,
   * but never repeated or dropped: a gap stays a gap (the previous picture shows on), and a
   * frame early for a slot already taken goes in the next one. The grid keeps capture jitter out
   * of the timestamps (two pictures in one tick of 1/fps would upset a decoder's output).
   */
  #placeH264(
    recording: Recording,
    writer: PipeWriter,
    ts: MpegTsWriter,
    fps: number,
    frame: Timed,
  ): void {
    if (recording.needsKey && !frame.key) {
      recording.dropped++;
      return;
    }
    const placement = placePicture(frame.timeMs, recording.originMs, recording.slot, fps, true);
    const slot = recording.slot + (placement?.repeats ?? 0);
    if (placement) recording.originMs = placement.originMs; // a long pause shortened
    const ptsMs = (slot * 1000) / fps;
    const packets = ts.unit(
      frame.jpeg,
      ptsMs * TS_TICKS_PER_MS,
      frame.key === true,
      recording.frames === 0,
    );
    if (writer.write(packets)) {
      recording.frames++;
      recording.slot = slot + 1;
      recording.needsKey = false;
      // Where the picture landed against its capture time: the sound follows the same offset.
      const lagMs = ptsMs - (frame.timeMs - recording.originMs);
      const previous = recording.videoLagMs;
      recording.videoLagMs = previous === null ? lagMs : previous + (lagMs - previous) * 0.1;
    } else {
      recording.dropped++;
      recording.slowDrops++;
      recording.needsKey = true;
    }
  }

  async #finish(recording: Recording): Promise<void> {
    if (!recording.output) {
      // A continuation that got sound but no picture yet is a sound-only file; one that got
      // nothing was never a file.
      if (recording.pending.length > 0) this.#begin(recording);
      else if (recording.pendingAudio.length > 0) this.#beginSoundOnly(recording);
    }
    const output = recording.output;
    if (!output) return;
    const audio = recording.audio;
    await Promise.all([output.writer?.end(), audio ? endAudioPipe(audio) : undefined]);
    const code = await waitOrKill(output.process, 5000);
    const stderr = (await new Response(output.process.stderr as ReadableStream).text()).trim();
    // Counts of what was received for this file: frames (and the copies that fill gaps,
    // which are in the file too) and sound packets; what is missing says why.
    const early = recording.dropped - recording.slowDrops;
    this.#log(
      `recorded ${recording.stream.name}: ${recording.received} frames (${recording.frames} ` +
        `in the file: +${recording.repeats} repeated, ${recording.dropped} dropped), ` +
        `${recording.receivedPackets} packets (${recording.skippedPackets} skipped) -> ` +
        `${recording.path} (${output.fps === null ? "sound only" : `${output.fps} fps`}` +
        `${recording.ts ? ", H.264 as sent" : ""})` +
        (recording.slowDrops > 0 ? `; ${recording.slowDrops} frames dropped: disk too slow` : "") +
        (early > 0 ? `; ${early} frames early for a slot already taken` : "") +
        (code === 0 ? "" : `; ffmpeg exit code ${code}${stderr ? `: ${stderr}` : ""}`),
    );
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Flushes what is buffered, then closes the fd: ffmpeg sees the end of the sound input. */
async function endAudioPipe(audio: AudioPipe): Promise<void> {
  try {
    await audio.sink.end();
  } catch {
    // ffmpeg went away: nothing left to flush.
  }
  try {
    closeSync(audio.fd);
  } catch {
    // Already closed.
  }
}
