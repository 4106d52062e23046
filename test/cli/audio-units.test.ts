// The CLI's sound parts without a relay: flags, ffmpeg arguments, capture stamps, and --view's
// sound players (real ffplay with SDL's dummy audio driver: no sound card here).
import { afterEach, describe, expect, test } from "bun:test";
import { parseCommand } from "../../client/options.ts";
import { AudioPlayer, playArgs } from "../../client/outputs/audio-player.ts";
import { recordArgs } from "../../client/outputs/recorder.ts";
import { AudioClock, SOUND_LATE_BIAS_MS } from "../../client/send/audio-clock.ts";
import { audioOutputArgs } from "../../client/send/audio-source.ts";
import { captureArgs } from "../../client/send/capture-args.ts";
import { FrameClock } from "../../client/send/frame-clock.ts";
import { OggOpusReader, type OpusPacket } from "../../client/send/ogg-opus.ts";
import { available, FFMPEG, FFPLAY } from "../../harness/tools.ts";
import { options, usageError } from "../support/client-options.ts";

describe("sound flags", () => {
  test("--audio, --audio-device, --audio-source and --tone", () => {
    expect(options(["--source", "test"]).audio).toBeNull();
    expect(options(["--source", "test"]).playAudio).toBe(true);
    expect(options(["--source", "test", "--audio"]).audio).toEqual({
      kind: "device",
      backend: "alsa",
      name: "default",
    });
    expect(options(["--source", "test", "--audio-device", "pulse:alsa_input.usb"]).audio).toEqual({
      kind: "device",
      backend: "pulse",
      name: "alsa_input.usb",
    });
    expect(options(["--source", "test", "--audio-device", "hw:1,0"]).audio).toMatchObject({
      backend: "alsa",
      name: "hw:1,0",
    });
    expect(options(["--audio-source", "beep", "--tone", "1000"])).toMatchObject({
      source: null, // sound only
      audio: { kind: "tone", frequency: 1000, beep: true },
    });
    expect(options(["--no-send", "--no-audio"]).playAudio).toBe(false);
    expect(parseCommand(["--audio-source", "test"], { FRAMECAST_TONE: "880" })).toMatchObject({
      options: { audio: { frequency: 880 } },
    });
  });

  test("each mistake is one plain line", () => {
    expect(usageError(["--audio-source", "noise"])).toBe(
      "--audio-source must be 'test' or 'beep', not 'noise'",
    );
    expect(usageError(["--source", "test", "--tone", "440"])).toContain(
      "--tone sets the frequency",
    );
    expect(usageError(["--audio-source", "test", "--tone", "5"])).toContain(
      "--tone must be a whole number from 20 to 20000",
    );
    expect(usageError(["--audio-device", "x", "--audio-source", "test"])).toContain("only one of");
    expect(usageError(["--no-send", "--audio"])).toContain("--no-send captures nothing");
    expect(usageError(["--audio-source", "test", "--wire", "base64"])).toContain(
      "base64 protocol carries no sound",
    );
    expect(usageError([])).toContain("--audio");
  });
});

describe("ffmpeg arguments", () => {
  const settings = { fps: 15, width: 320, height: 240, quality: 5 };

  test("one ffmpeg: MJPEG on stdout, Opus in 20 ms Ogg pages on fd 3", () => {
    const args = captureArgs({ kind: "test" }, settings, false, {
      kind: "tone",
      frequency: 440,
      beep: false,
    });
    const line = args.join(" ");
    expect(args.indexOf("pipe:1")).toBeLessThan(args.indexOf("-map")); // video first, as before
    expect(line).toContain("-map 1:a -c:a libopus -b:a 32k");
    expect(line).toContain("-frame_duration 20");
    expect(line).toContain("-page_duration 20000");
    expect(args.at(-1)).toBe("pipe:3");
    expect(args).toContain("pipe:1");
    // A device: ALSA or PulseAudio input, no -re.
    const mic = captureArgs(null, settings, false, {
      kind: "device",
      backend: "pulse",
      name: "default",
    });
    expect(mic.join(" ")).toContain("-f pulse -i default -map 0:a");
    expect(mic).not.toContain("-re");
    // Video files keep their filter as an output option, after the audio input.
    const file = captureArgs({ kind: "file", path: "x.mp4" }, settings, false, {
      kind: "tone",
      frequency: 440,
      beep: true,
    });
    expect(file.indexOf("-vf")).toBeGreaterThan(
      file.indexOf("aevalsrc=if(lt(mod(t\\,1)\\,0.1)\\,0.5*sin(2*PI*440*t)\\,0):s=48000:c=mono"),
    );
  });

  test("recording and playing arguments", () => {
    const both = recordArgs("out.mkv", 15, true).join(" ");
    expect(both).toContain("-f mjpeg -framerate 15 -i pipe:0");
    expect(both).toContain("-f ogg -i pipe:3 -map 0:v -map 1:a -copyts -c copy");
    expect(recordArgs("out.mkv", null, true).join(" ")).toContain("-i pipe:3 -map 0:a -copyts");
    expect(recordArgs("out.mkv", 15).join(" ")).not.toContain("ogg");
    expect(playArgs("framecast: ann").join(" ")).toContain("-nodisp");
    expect(playArgs("framecast: ann").slice(-4)).toEqual(["-f", "ogg", "-i", "pipe:0"]);
  });

  test("ffmpeg runs what captureArgs builds: both streams come out", async () => {
    const args = captureArgs({ kind: "flash" }, settings, false, {
      kind: "tone",
      frequency: 1000,
      beep: true,
    });
    const run = Bun.spawn([FFMPEG, ...args.filter((a) => a !== "-re")], {
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const packets: OpusPacket[] = [];
    const reader = new OggOpusReader((packet) => packets.push(packet));
    const audio = (async () => {
      for await (const chunk of Bun.file(run.stdio[3] as number).stream()) reader.push(chunk);
    })();
    let videoBytes = 0;
    const timer = setTimeout(() => run.kill("SIGINT"), 1500);
    for await (const chunk of run.stdout) videoBytes += chunk.byteLength;
    await run.exited;
    clearTimeout(timer);
    await audio;
    expect(videoBytes).toBeGreaterThan(10_000);
    expect(packets.length).toBeGreaterThan(10);
  });
});

test("the audio clock stamps packets smoothly from their granules, with the pipe's typical delay", () => {
  const clock = new AudioClock();
  clock.reset(312);
  // Packet k ends at granule 312 + 960 (k + 1); it arrives 30 ms after its end, ± 10 ms.
  const stamps = Array.from({ length: 300 }, (_, k) => {
    const endMs = ((k + 1) * 960) / 48;
    return clock.stamp(312 + (k + 1) * 960, 1_000_000 + endMs + 30 + (k % 2 === 0 ? -10 : 10));
  });
  // 20 ms apart, give or take a fraction of the jitter (the average moves slowly)...
  for (let k = 1; k < 300; k++) {
    expect(Math.abs((stamps[k] as number) - (stamps[k - 1] as number) - 20)).toBeLessThan(1);
  }
  // ...and each stamp is the packet's start plus the typical delay (30 ms), not the jitter, plus
  // the deliberate lean toward late sound.
  expect(
    Math.abs((stamps[299] as number) - (1_000_000 + 299 * 20 + 30 + SOUND_LATE_BIAS_MS)),
  ).toBeLessThan(1);
});

describe("--view's sound", () => {
  let player: AudioPlayer | null = null;
  afterEach(async () => {
    await player?.close();
    player = null;
  });

  test.skipIf(!available("ffplay", FFPLAY !== null))(
    "one ffplay per participant with sound, fed Ogg pages, closed with the participant",
    async () => {
      const logs: string[] = [];
      player = new AudioPlayer(FFPLAY as string, (line) => logs.push(line), {
        ...process.env,
        SDL_AUDIODRIVER: "dummy",
      });
      const encode = Bun.spawnSync(
        [
          FFMPEG,
          "-hide_banner",
          "-loglevel",
          "error",
          "-f",
          "lavfi",
          "-i",
          "sine=frequency=440",
          "-t",
          "1",
        ].concat(audioOutputArgs(0, 1)),
      );
      const packets: OpusPacket[] = [];
      new OggOpusReader((packet) => packets.push(packet)).push(new Uint8Array(encode.stdout));
      const ann = { id: 1, name: "ann" };
      player.audio(ann, packets[0]?.data as Uint8Array); // before the track: ignored
      expect(player.players).toBe(0);
      player.audioTrack(ann, { codec: "opus", sampleRate: 48000, channels: 1, muted: false });
      for (const packet of packets) {
        player.audio(ann, packet.data);
        await Bun.sleep(5);
      }
      expect(player.players).toBe(1);
      await Bun.sleep(300);
      expect(logs.filter((line) => line.includes("can't play"))).toEqual([]);
      player.end(ann);
      expect(player.players).toBe(0);
    },
  );
});

test("the frame clock stamps a bursty constant-rate picture stream smoothly", () => {
  const clock = new FrameClock(1000 / 30);
  // Frames arrive in bursts of three, 10-40 ms late, 100 ms apart.
  const stamps = Array.from({ length: 300 }, (_, k) =>
    clock.stamp(k, 1_000_000 + Math.floor(k / 3) * 100 + 40 - (k % 3) * 10 + 0),
  );
  // Arrival gaps are 0-100 ms; the stamps' gaps stay within 2 ms of 33.3 ms.
  for (let k = 1; k < 300; k++) {
    expect(Math.abs((stamps[k] as number) - (stamps[k - 1] as number) - 1000 / 30)).toBeLessThan(2);
  }
});
