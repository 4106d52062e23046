// The recorder keeps every frame and packet it received (issue 19), through the real relay with
// the real CLI recording (--record) and ffprobe counting what is in the files. Four participants:
// sound only and picture only (real CLI senders, real ffmpeg capture), and two scripted senders
// (real JPEGs, real Opus from ffmpeg) that start sound after picture and picture after sound,
// the cases that make the recorder continue in a second file, plus one whose sound starts while
// its first file is still being opened. For each one:
//   - what the recorder received (its "recorded NAME: ..." summary per file) is at most what the
//     sender sent (the CLI's exit summary, or the script's own count), all of it when unloaded,
//   - packets in the files (ffprobe -count_packets) are the packets received,
//   - distinct pictures in the files (runs of equal packets: the recorder repeats the previous
//     frame to fill a gap in the grid) are the frames received, less those the recorder itself
//     reports dropped (a frame early for a slot already taken), and
//   - no two files share a name.
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { OggOpusReader } from "../../client/send/ogg-opus.ts";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { FFMPEG, FFPROBE } from "../../harness/tools.ts";
import {
  audioTrackAnnouncement,
  encodeAudioPacket,
  encodeVideoFrame,
} from "../../protocol/index.ts";
import { clientTestScope, runClient } from "../fixtures/client/run-client.ts";
import { TestPeer } from "../support/peer.ts";

const scope = clientTestScope();

/** Real Opus packets (20 ms each) of a 440 Hz tone, encoded by ffmpeg. */
function opusPackets(seconds: number): Uint8Array[] {
  const result = Bun.spawnSync(
    [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"].concat([
      `sine=frequency=440:duration=${seconds}`,
      "-ac",
      "1",
      "-ar",
      "48000",
      "-c:a",
      "libopus",
      "-b:a",
      "32k",
      "-frame_duration",
      "20",
      "-f",
      "ogg",
      "pipe:1",
    ]),
    { timeout: 30_000 },
  );
  const packets: Uint8Array[] = [];
  new OggOpusReader((packet) => packets.push(packet.data)).push(result.stdout);
  return packets;
}

/** A scripted participant: sends pictures and/or sound on its own schedule, counting each. */
async function scriptedSender(
  relayUrl: string,
  name: string,
  schedule: { pictureFromMs: number; soundFromMs: number },
) {
  const peer = await TestPeer.join(relayUrl, "counts", name);
  const jpegs = [makeJpeg(160, 120, 1), makeJpeg(160, 120, 2), makeJpeg(160, 120, 3)];
  const opus = opusPackets(20);
  const started = performance.now();
  let frames = 0;
  let packets = 0;
  let announced = false;
  const now = () => performance.timeOrigin + performance.now();
  const pictures = setInterval(() => {
    if (performance.now() - started < schedule.pictureFromMs) return;
    peer.ws.send(encodeVideoFrame(jpegs[frames % jpegs.length] as Uint8Array, now(), frames));
    frames++;
  }, 1000 / 15);
  const sound = setInterval(() => {
    if (performance.now() - started < schedule.soundFromMs) return;
    if (!announced) {
      peer.ws.send(JSON.stringify(audioTrackAnnouncement()));
      announced = true;
    }
    peer.ws.send(encodeAudioPacket(opus[packets % opus.length] as Uint8Array, now(), packets));
    packets++;
  }, 20);
  return {
    stop(): { frames: number; packets: number } {
      clearInterval(pictures);
      clearInterval(sound);
      peer.ws.close(1000, "done");
      return { frames, packets };
    },
  };
}

/** Packets per stream type in a file, and the video packets' checksums in order. */
function countPackets(path: string): { video: number; audio: number; distinctVideo: number } {
  const result = Bun.spawnSync(
    [FFPROBE, "-v", "error", "-count_packets", "-show_entries"].concat([
      "stream=codec_type,nb_read_packets",
      "-of",
      "json",
      path,
    ]),
    { timeout: 30_000 },
  );
  const streams = (
    JSON.parse(result.stdout.toString()) as {
      streams: Array<{ codec_type: string; nb_read_packets: string }>;
    }
  ).streams;
  const count = (type: string) =>
    streams.filter((s) => s.codec_type === type).reduce((n, s) => n + Number(s.nb_read_packets), 0);
  let distinctVideo = 0;
  if (count("video") > 0) {
    // One checksum per video packet (no decoding): a run of equal ones is one received frame.
    const hashes = Bun.spawnSync(
      [FFMPEG, "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v"].concat([
        "-c",
        "copy",
        "-f",
        "framemd5",
        "pipe:1",
      ]),
      { timeout: 30_000 },
    )
      .stdout.toString()
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => line.split(",").at(-1)?.trim());
    distinctVideo = hashes.filter((hash, i) => i === 0 || hash !== hashes[i - 1]).length;
  }
  return { video: count("video"), audio: count("audio"), distinctVideo };
}

interface FileSummary {
  file: string;
  frames: number;
  repeats: number;
  dropped: number;
  packets: number;
  skipped: number;
  /** The file's frame rate as measured by the recorder, or null for sound only. */
  fps: number | null;
}

/** The recorder's "recorded NAME: ..." lines for one participant, one per file. */
function summaries(output: string, name: string): FileSummary[] {
  const pattern = new RegExp(
    `recorded ${name}: (\\d+) frames \\(\\d+ in the file: \\+(\\d+) repeated, (\\d+) dropped\\), ` +
      `(\\d+) packets \\((\\d+) skipped\\) -> (\\S+) \\((?:(\\d+) fps|sound only)\\)`,
    "g",
  );
  return [...output.matchAll(pattern)].map((m) => ({
    frames: Number(m[1]),
    repeats: Number(m[2]),
    dropped: Number(m[3]),
    packets: Number(m[4]),
    skipped: Number(m[5]),
    file: m[6] as string,
    fps: m[7] ? Number(m[7]) : null,
  }));
}

test("sound only, picture only, sound after picture, picture after sound: all of it in the files", async () => {
  const relay = await scope.startRelay();
  const dir = scope.tempDir("framecast-counts-");
  const room = ["--relay", relay.wsUrl, "--room", "counts"];
  const recorder = runClient(["--no-send", "--name", "rec", "--record", dir, ...room]);
  await recorder.waitFor(/joined room counts as rec/);
  const sound = runClient(["--audio-source", "test", "--name", "sound", ...room]);
  const picture = runClient(
    ["--source", "test", "--fps", "15", "--size", "160x120", "--name", "picture"].concat(room),
  );
  const soundLater = await scriptedSender(relay.wsUrl, "soundlater", {
    pictureFromMs: 0,
    soundFromMs: 3000,
  });
  const pictureLater = await scriptedSender(relay.wsUrl, "picturelater", {
    pictureFromMs: 3000,
    soundFromMs: 0,
  });
  // Sound 0.5 s after picture: the first file's ffmpeg has not even made its file yet (its frame
  // rate is still being measured), where a name taken from the disk alone would be used twice.
  const soundSoon = await scriptedSender(relay.wsUrl, "soundsoon", {
    pictureFromMs: 0,
    soundFromMs: 500,
  });
  await Bun.sleep(7000);
  const scripted = {
    soundlater: soundLater.stop(),
    picturelater: pictureLater.stop(),
    soundsoon: soundSoon.stop(),
  };
  expect(await Promise.all([sound.stop(), picture.stop()])).toEqual([0, 0]);
  const sent = {
    sound: {
      frames: 0,
      packets: Number(/sent (\d+) audio packets/.exec(sound.output())?.[1]),
    },
    picture: { frames: Number(/sent (\d+) frames/.exec(picture.output())?.[1]), packets: 0 },
    ...scripted,
  };
  await Bun.sleep(1000); // the last messages reach the recorder
  expect(await recorder.stop()).toBe(0);
  const output = recorder.output();

  const files = readdirSync(dir);
  console.log(`sent: ${JSON.stringify(sent)}`);
  console.log(
    output
      .split("\n")
      .filter((line) => /record|continuing/.test(line))
      .join("\n"),
  );
  for (const file of files)
    console.log(`${file}: ${JSON.stringify(countPackets(join(dir, file)))}`);
  for (const [name, expected] of Object.entries(sent)) {
    const written = summaries(output, name);
    const inFiles = written.map((summary) => ({
      ...summary,
      ...countPackets(summary.file.startsWith("/") ? summary.file : join(dir, summary.file)),
    }));
    const sum = (pick: (row: (typeof inFiles)[number]) => number) =>
      inFiles.reduce((n, row) => n + pick(row), 0);
    console.log(
      `${name}: sent ${expected.frames} frames, ${expected.packets} packets; ` +
        inFiles
          .map(
            (row) =>
              `${row.file.split("/").at(-1)}: ${row.video} video packets (${row.distinctVideo} ` +
              `distinct, recorder: ${row.frames} received, +${row.repeats} repeated, ` +
              `${row.dropped} dropped), ${row.audio} audio packets (recorder: ${row.packets}, ` +
              `${row.skipped} skipped)`,
          )
          .join("; "),
    );
    expect(written.length).toBeGreaterThan(0);
    // Received is at most what was sent: on a quiet machine all of it, give or take the one
    // message in flight when a CLI sender is stopped; on a loaded one the relay also skips
    // frames for a receiver that falls behind (its latest-frame policy), which is not the
    // recorder's to keep. What arrived is the measure from here on.
    const received = { frames: sum((row) => row.frames), packets: sum((row) => row.packets) };
    expect(received.frames).toBeLessThanOrEqual(expected.frames);
    expect(received.packets).toBeLessThanOrEqual(expected.packets);
    expect(received.frames + received.packets).toBeGreaterThan(0);
    // Every packet received is in a file; none skipped.
    expect(sum((row) => row.audio)).toBe(received.packets);
    expect(sum((row) => row.skipped)).toBe(0);
    // Every picture received is in a file, less what the recorder says it dropped (early for a
    // taken slot), plus the repeats that fill gaps.
    const dropped = sum((row) => row.dropped);
    expect(sum((row) => row.distinctVideo)).toBe(received.frames - dropped);
    expect(sum((row) => row.video)).toBe(received.frames - dropped + sum((row) => row.repeats));
    // Frames early for a slot already taken are the constant-rate file's one loss: a few, when
    // the recorder measured the sender's 15 fps. On a heavily loaded machine the first second of
    // frames can read 14 fps; then one frame a second is early, dropped and counted (above).
    const rates = inFiles.flatMap((row) => (row.fps === null ? [] : [row.fps]));
    for (const fps of rates) expect(Math.abs(fps - 15)).toBeLessThanOrEqual(1);
    if (rates.every((fps) => fps === 15)) {
      expect(dropped).toBeLessThanOrEqual(Math.ceil(received.frames * 0.05));
    } else {
      console.warn(`${name}: measured at ${rates.join(", ")} fps (sender 15): ${dropped} dropped`);
    }
  }
  // Two files each for the late starters, and no name used twice.
  expect(summaries(output, "soundlater").length).toBe(2);
  expect(summaries(output, "picturelater").length).toBe(2);
  expect(summaries(output, "soundsoon").length).toBe(2);
  const named = ["sound", "picture", "soundlater", "picturelater", "soundsoon"].flatMap((name) =>
    summaries(output, name).map((s) => s.file),
  );
  expect(new Set(named).size).toBe(named.length);
  expect(files.length).toBe(named.length);
}, 60_000);
