// The CLI's H.264 parts on their own: the streaming access-unit splitter (chunks cut anywhere,
// two slices per picture, key frames), the capture command line, the --codec flag, the
// recorder's transport stream, and ffplay fed H.264 (SDL's dummy driver: no window).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLAGS } from "../../client/flags.ts";
import { MpegTsWriter, TS_TICKS_PER_MS } from "../../client/outputs/mpegts-writer.ts";
import { Recorder } from "../../client/outputs/recorder.ts";
import { Viewer, viewArgs } from "../../client/outputs/viewer.ts";
import {
  cameraOffers,
  captureArgs,
  h264EncodeArgs,
  h264Kbps,
  listsLibx264,
  outputPipe,
  videoOutputs,
} from "../../client/send/capture-args.ts";
import { CODECS_NEEDED_WAIT_MS, FrameSender } from "../../client/send/frame-sender.ts";
import { H264Splitter } from "../../client/send/h264-splitter.ts";
import { OggOpusReader } from "../../client/send/ogg-opus.ts";
import { available, FFMPEG, FFPLAY, FFPROBE } from "../../harness/tools.ts";
import {
  FrameKind,
  frameKind,
  HEADER_BYTES,
  isKeyFrame,
  readLayer,
  readSequence,
} from "../../protocol/index.ts";
import { runClient } from "../fixtures/client/run-client.ts";
import {
  avOffsetsMs,
  beepOnsets,
  decodeAudio,
  flashOnsets,
  videoBrightness,
} from "../support/av-analysis.ts";
import { options, usageError } from "../support/client-options.ts";
import {
  decodeMd5s,
  encodeTestStream,
  splitOnAud,
  type TestStream,
} from "../support/h264-stream.ts";

let stream: TestStream | null = null;
function testStream(): TestStream {
  stream ??= encodeTestStream(2);
  return stream;
}
process.on("exit", () => stream?.cleanup());

/** NAL unit types in one access unit, in order. */
function nalTypes(unit: Uint8Array): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < unit.byteLength; i++) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      types.push((unit[i + 3] as number) & 0x1f);
      i += 3;
    }
  }
  return types;
}

function concat(units: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(units.map((unit) => Buffer.from(unit))));
}

/** Splits `bytes` pushed in chunks of the given sizes (cycled). */
function splitInChunks(bytes: Uint8Array, sizes: number[], headroom = 0) {
  const units: { unit: Uint8Array; key: boolean }[] = [];
  const splitter = new H264Splitter({ headroom, onUnit: (unit, key) => units.push({ unit, key }) });
  let offset = 0;
  for (let i = 0; offset < bytes.byteLength; i++) {
    const size = sizes[i % sizes.length] as number;
    splitter.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  splitter.flush();
  return units;
}

describe("H.264 access-unit splitter", () => {
  test("libx264 zerolatency: one unit per picture, two slices each, key frames every GOP", () => {
    const { units, md5s } = testStream();
    // 2 s at 30 fps, a 1 s GOP: the test stream's own encode (test/support/h264-stream.ts).
    expect(units).toHaveLength(md5s.length);
    expect(units.filter((unit) => unit.key).map((_, i) => i)).toEqual([0, 1]);
    expect(units.findIndex((unit) => unit.key)).toBe(0);
    expect(units[30]?.key).toBe(true);
    // Sliced threads: more than one slice in a picture, so a cut per start code would be wrong.
    const slices = units.map((unit) => nalTypes(unit.bytes).filter((t) => t === 1 || t === 5));
    expect(Math.max(...slices.map((s) => s.length))).toBeGreaterThanOrEqual(2);
    // Every unit starts with its AUD; a key frame carries SPS, PPS and IDR slices only.
    for (const unit of units) expect(nalTypes(unit.bytes)[0]).toBe(9);
    expect(nalTypes(units[0]?.bytes as Uint8Array)).toEqual(expect.arrayContaining([9, 7, 8, 5]));
    expect(nalTypes(units[1]?.bytes as Uint8Array)).not.toContain(5);
  });

  test("chunks cut anywhere give the same units: 1 byte, 2, 3, 7, 188, 4096, uneven", () => {
    const { units } = testStream();
    const whole = concat(units.map((unit) => unit.bytes));
    const expected = units.map((unit) => Buffer.from(unit.bytes).toString("hex"));
    for (const sizes of [[1], [2], [3], [7], [188], [4096], [5, 1, 3, 1000, 2, 65536]]) {
      // 1-byte chunks of the whole stream are slow: a shorter stream says the same.
      const input = sizes[0] === 1 ? concat(units.slice(0, 8).map((u) => u.bytes)) : whole;
      const got = splitInChunks(input, sizes, 20);
      const want = sizes[0] === 1 ? expected.slice(0, 8) : expected;
      expect(got.map((u) => Buffer.from(u.unit).toString("hex"))).toEqual(want);
      expect(got.map((u) => u.key)).toEqual(units.slice(0, want.length).map((u) => u.key));
      // Each unit owns its buffer with the headroom free in front (the sender's header).
      for (const { unit } of got) expect(unit.byteOffset).toBe(20);
    }
  });

  test("a unit is handed out with the time its last byte came, when the next AUD arrives", () => {
    const { units } = testStream();
    const times: number[] = [];
    const splitter = new H264Splitter({ onUnit: (_unit, _key, time) => times.push(time) });
    splitter.push(units[0]?.bytes as Uint8Array, 100);
    expect(times).toEqual([]); // whole only once the next unit begins
    const second = units[1]?.bytes as Uint8Array;
    splitter.push(second.subarray(0, 2), 200); // a start code cut in two: not yet an AUD
    expect(times).toEqual([]);
    splitter.push(second.subarray(2), 300);
    expect(times).toEqual([100]);
    splitter.flush();
    expect(times).toEqual([100, 300]);
  });

  test("garbage before the first AUD and deltas before the first key frame are dropped", () => {
    const { units } = testStream();
    const got = splitInChunks(
      concat([new Uint8Array([1, 2, 3, 0, 0]), ...units.slice(25, 35).map((u) => u.bytes)]),
      [100],
    );
    // Units 25-29 are deltas of a GOP whose key frame we never saw; 30 is the next key.
    expect(got).toHaveLength(5);
    expect(got[0]?.key).toBe(true);
  });

  test("a runaway unit is dropped, and so is what follows until the next key frame", () => {
    const { units } = testStream();
    const largest = Math.max(...units.map((u) => u.bytes.byteLength));
    // An access unit far over the limit: an AUD, then a slice NAL of junk.
    const junk = new Uint8Array(largest * 3).fill(0xaa);
    junk.set([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x01]);
    const dropped: number[] = [];
    const got: boolean[] = [];
    const splitter = new H264Splitter({
      maxUnitBytes: largest + 100,
      onUnit: (_unit, key) => got.push(key),
      onDrop: (bytes) => dropped.push(bytes),
    });
    for (const unit of units.slice(0, 11)) splitter.push(unit.bytes);
    splitter.push(junk);
    for (const unit of units.slice(11)) splitter.push(unit.bytes);
    splitter.flush();
    expect(dropped).toHaveLength(1);
    // Units 0-10, then nothing until the key frame at 30 (11-29 referenced what was lost).
    expect(got).toHaveLength(11 + units.length - 30);
    expect(got[11]).toBe(true);
  });
});

describe("H.264 sender", () => {
  /** A FrameSender on a fake socket; `buffered` is what the socket says it still holds. */
  function sender(buffered = { bytes: 0 }) {
    const sent: Uint8Array[] = [];
    const socket = {
      get bufferedAmount() {
        return buffered.bytes;
      },
      send: (message: Uint8Array) => sent.push(message.slice()),
    } as unknown as WebSocket;
    const frames = new FrameSender({
      wire: "binary",
      pool: null,
      socket: () => socket,
      log: () => {},
      codec: "h264",
    });
    return { frames, sent };
  }
  /** A payload with 20 bytes of headroom, as the splitters hand them out. */
  const payload = (fill: number, bytes = 100) =>
    new Uint8Array(HEADER_BYTES + bytes).fill(fill).subarray(HEADER_BYTES);
  const kinds = (sent: Uint8Array[]) =>
    sent.map((m) => (frameKind(m) === FrameKind.VideoH264 ? (isKeyFrame(m) ? "K" : "d") : "J"));

  test("nothing before codecs_needed; H.264 from a key frame; JPEG only after the first H.264", () => {
    const { frames, sent } = sender();
    frames.welcomed();
    frames.send(payload(1), 1, 0);
    frames.sendH264(payload(2), 1, 0, false);
    expect(sent).toHaveLength(0); // which codecs? not known yet
    frames.codecsNeeded({ jpeg: true, h264: false });
    frames.send(payload(1), 2, 0);
    frames.sendH264(payload(2), 2, 0, false); // a delta: waits for a key frame
    frames.send(payload(1), 3, 0);
    expect(sent).toHaveLength(0); // JPEG waits for our first H.264 frame
    frames.sendH264(payload(2), 4, 0, true);
    frames.send(payload(1), 4, 0);
    // Nobody decodes H.264 and the relay knows what we are: JPEG alone from now on.
    frames.sendH264(payload(2), 5, 0, false);
    frames.send(payload(1), 5, 0);
    expect(kinds(sent)).toEqual(["K", "J", "J"]);
    // Someone who decodes H.264 arrives: from the next key frame.
    frames.codecsNeeded({ jpeg: true, h264: true });
    frames.sendH264(payload(2), 6, 0, false);
    frames.sendH264(payload(2), 7, 0, true);
    frames.sendH264(payload(2), 8, 0, false);
    // The JPEG-only receiver leaves.
    frames.codecsNeeded({ jpeg: false, h264: true });
    frames.send(payload(1), 8, 0);
    expect(kinds(sent)).toEqual(["K", "J", "J", "K", "d"]);
    expect(frames.sending).toBe("h264");
    // H.264 keeps its own sequence numbers, one per captured picture.
    expect(sent.filter((m) => frameKind(m) === FrameKind.VideoH264).map(readSequence)).toEqual([
      2, 5, 6,
    ]);
  });

  test("a skipped H.264 frame makes its layer wait for the next key frame; other layers go on", () => {
    const buffered = { bytes: 0 };
    const { frames, sent } = sender(buffered);
    frames.welcomed();
    frames.codecsNeeded({ jpeg: false, h264: true });
    frames.sendH264(payload(1), 1, 0, true);
    frames.sendH264(payload(1), 1, 1, true);
    buffered.bytes = 1_000_000; // congested: this picture is skipped
    frames.sendH264(payload(1), 2, 0, false);
    buffered.bytes = 0;
    frames.sendH264(payload(1), 2, 1, false); // layer 1 missed nothing
    frames.sendH264(payload(1), 3, 0, false); // layer 0 lost its reference: not sent
    frames.sendH264(payload(1), 4, 0, true);
    expect(sent.map((m) => `${readLayer(m)}${kinds([m])[0]}`)).toEqual(["0K", "1K", "1d", "0K"]);
    expect(frames.skipped).toBe(1);
    // A new connection: every layer starts again on a key frame.
    frames.welcomed();
    frames.codecsNeeded({ jpeg: false, h264: true });
    frames.sendH264(payload(1), 5, 1, false);
    expect(sent).toHaveLength(4);
  });

  test("a relay that never says codecs_needed (older than H.264) gets JPEG after 1 s", async () => {
    const { frames, sent } = sender();
    frames.welcomed();
    frames.sendH264(payload(2), 1, 0, true);
    frames.send(payload(1), 1, 0);
    expect(sent).toHaveLength(0);
    await Bun.sleep(CODECS_NEEDED_WAIT_MS + 50);
    frames.sendH264(payload(2), 2, 0, true);
    frames.send(payload(1), 2, 0);
    expect(kinds(sent)).toEqual(["J"]);
  });
});

describe("H.264 capture arguments", () => {
  const settings = {
    fps: 15,
    width: 640,
    height: 480,
    quality: 5,
    layers: [
      { width: 640, height: 480 },
      { width: 160, height: 120 },
    ],
    codec: "h264" as const,
  };

  test("every layer as H.264 then as JPEG, one pipe each, sound after them", () => {
    expect(videoOutputs(settings)).toEqual([
      { codec: "h264", layer: 0 },
      { codec: "h264", layer: 1 },
      { codec: "jpeg", layer: 0 },
      { codec: "jpeg", layer: 1 },
    ]);
    expect(videoOutputs({ ...settings, codec: "jpeg" })).toHaveLength(2);
    const args = captureArgs({ kind: "test" }, settings, false, {
      kind: "tone",
      frequency: 440,
      beep: false,
    }).join(" ");
    expect([0, 1, 2, 3].map(outputPipe)).toEqual([1, 3, 4, 5]);
    expect(args).toContain("-f h264 pipe:1");
    expect(args).toContain("-f h264 pipe:3");
    expect(args).toContain("-f mjpeg pipe:4");
    expect(args).toContain("-f mjpeg pipe:5");
    expect(args).toContain("-f ogg pipe:6");
  });

  test("libx264 for a call: zerolatency, no B-frames, a key frame each second, AUDs, baseline", () => {
    const args = captureArgs({ kind: "test" }, settings).join(" ");
    for (const part of [
      "-c:v libx264 -preset veryfast -tune zerolatency -bf 0 -g 15",
      "-profile:v baseline -pix_fmt yuv420p",
      "-x264-params aud=1:repeat-headers=1",
    ]) {
      expect(args).toContain(part);
    }
    // One scale per layer, split between its two encoders.
    expect(args).toContain("scale=160:120:flags=area,split=2");
    expect(h264Kbps(640, 480, 15)).toBeGreaterThan(300);
    expect(h264Kbps(640, 480, 15)).toBeLessThan(800);
    expect(h264Kbps(160, 120, 15)).toBe(64);
  });

  test("a camera's own H.264 or MJPEG is copied for its codec's full-size output", () => {
    const camera = { kind: "device" as const, path: "/dev/video0" };
    const h264 = captureArgs(camera, settings, "h264").join(" ");
    expect(h264).toContain("-input_format h264");
    expect(h264).toContain(
      "-map 0:v -an -c:v copy -bsf:v dump_extra=freq=keyframe,h264_metadata=aud=insert",
    );
    expect(h264.match(/libx264/g)).toHaveLength(1); // only the small layer is encoded
    const mjpeg = captureArgs(camera, settings, "mjpeg").join(" ");
    expect(mjpeg).toContain("-map 0:v -an -c:v copy -f mjpeg pipe:4");
    expect(mjpeg.match(/libx264/g)).toHaveLength(2);
    const listing =
      "[video4linux2,v4l2 @ 0x1] Compressed:  h264 :  H.264 : 1920x1080 1280x720 640x480\n" +
      "[video4linux2,v4l2 @ 0x1] Compressed:  mjpeg : Motion-JPEG : 640x480";
    expect(cameraOffers(listing, "h264", 640, 480)).toBe(true);
    expect(cameraOffers(listing, "h264", 320, 240)).toBe(false);
  });

  test("libx264 is found in ffmpeg's encoder list", () => {
    expect(listsLibx264(" V....D libx264              libx264 H.264 / AVC (codec h264)\n")).toBe(
      true,
    );
    expect(listsLibx264(" V....D libx264rgb           libx264 H.264 RGB (codec h264)\n")).toBe(
      false,
    );
    expect(listsLibx264(" VFS... mjpeg                MJPEG (Motion JPEG)\n")).toBe(false);
  });

  test("ffmpeg runs it: H.264 units with key frames each second, JPEG frames, for 2 layers", async () => {
    // Two seconds of the test pattern, as fast as ffmpeg goes.
    const args = captureArgs({ kind: "test" }, { ...settings, fps: 10 })
      .filter((arg) => arg !== "-re")
      .map((arg) => (arg.startsWith("testsrc=") ? `${arg}:duration=2` : arg));
    const proc = Bun.spawn([FFMPEG, ...args], {
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe", "pipe"],
    });
    const read = (fd: number) =>
      new Response(Bun.file(proc.stdio[fd] as unknown as number).stream()).arrayBuffer();
    const [h264Full, h264Small, jpegFull] = await Promise.all([
      new Response(proc.stdout).arrayBuffer(),
      read(3),
      read(4),
      read(5),
    ]);
    expect(await proc.exited).toBe(0);
    for (const bytes of [h264Full, h264Small]) {
      const units = splitInChunks(new Uint8Array(bytes), [4096]);
      expect(units.length).toBeGreaterThanOrEqual(18);
      expect(units.filter((u) => u.key).length).toBeGreaterThanOrEqual(2);
    }
    expect(new Uint8Array(jpegFull).subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xd8]));
  }, 30_000);
});

describe("--codec", () => {
  test("h264 or jpeg; unset is decided once ffmpeg is known; base64 is JPEG only", () => {
    expect(options(["--source", "test"]).codec).toBeNull();
    expect(options(["--source", "test", "--codec", "jpeg"]).codec).toBe("jpeg");
    expect(options(["--source", "test"], { FRAMECAST_CODEC: "h264" }).codec).toBe("h264");
    expect(options(["--source", "test", "--wire", "base64"]).codec).toBe("jpeg");
    expect(usageError(["--source", "test", "--codec", "vp8"])).toBe(
      "--codec must be 'h264' or 'jpeg', not 'vp8'",
    );
    expect(usageError(["--source", "test", "--codec", "h264", "--wire", "base64"])).toMatch(
      /^the base64 protocol carries JPEG only/,
    );
    expect(FLAGS.some((flag) => flag.name === "codec" && flag.env === "FRAMECAST_CODEC")).toBe(
      true,
    );
  });

  test("a bad value is one line and exit 2; --help documents it", async () => {
    const bad = runClient(["--source", "test", "--codec", "av1"]);
    expect(await bad.proc.exited).toBe(2);
    expect(bad.stderr.filter((line) => line !== "")).toEqual([
      "framecast: --codec must be 'h264' or 'jpeg', not 'av1'",
    ]);
    const help = runClient(["--help"]);
    expect(await help.proc.exited).toBe(0);
    await help.waitFor(/--codec h264\|jpeg/);
    await help.waitFor(/default: h264 where ffmpeg has libx264, else jpeg/);
  });
});

describe("an ffmpeg without libx264", () => {
  test("default: JPEG with a one-line notice; --codec h264: a clear error, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "framecast-nox264-"));
    try {
      // The real ffmpeg, except that its encoder list has no libx264.
      const fake = join(dir, "ffmpeg");
      writeFileSync(
        fake,
        `#!/bin/sh\ncase "$*" in *-encoders*) echo ' VFS... mjpeg   MJPEG'; exit 0;; esac\nexec '${FFMPEG}' "$@"\n`,
        { mode: 0o755 },
      );
      const common = ["--source", "test", "--size", "160x120", "--ffmpeg", fake];
      // Port 9 on loopback: nothing listens; the client retries until stopped.
      const relay = ["--relay", "ws://127.0.0.1:9"];
      const refused = runClient([...common, "--codec", "h264", ...relay]);
      expect(await refused.proc.exited).toBe(1);
      expect(refused.stderr.filter((line) => line !== "")).toEqual([
        `framecast: --codec h264 needs an ffmpeg with libx264 (${fake} has none): use --codec jpeg`,
      ]);
      const fallback = runClient([...common, ...relay], { FRAMECAST_CODEC: undefined });
      await fallback.waitFor(/^framecast: ffmpeg has no libx264: sending JPEG$/);
      await fallback.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("recorder's transport stream", () => {
  test("units at their PTS: ffmpeg copies them into Matroska at those times, decoding clean", () => {
    const { units, md5s } = testStream();
    const dir = mkdtempSync(join(tmpdir(), "framecast-ts-"));
    try {
      const writer = new MpegTsWriter();
      // 30 fps, then a 500 ms gap before the second GOP: timestamps say so.
      const times = units.map((_, i) => (i < 30 ? i * 33.333 : 500 + i * 33.333));
      const ts = units.map((u, i) =>
        writer.unit(u.bytes, (times[i] as number) * TS_TICKS_PER_MS, u.key, i === 0),
      );
      for (const packet of ts) expect(packet.byteLength % 188).toBe(0);
      const tsPath = join(dir, "x.ts");
      const mkv = join(dir, "x.mkv");
      writeFileSync(tsPath, concat(ts));
      const remux = Bun.spawnSync(
        [FFMPEG, "-v", "error", "-copyts", "-f", "mpegts", "-i", tsPath, "-c", "copy", mkv],
        { stderr: "pipe" },
      );
      expect(remux.stderr.toString()).toBe("");
      const check = Bun.spawnSync([FFMPEG, "-v", "error", "-i", mkv, "-f", "null", "-"], {
        stderr: "pipe",
      });
      expect(check.stderr.toString()).toBe("");
      const pts = Bun.spawnSync(
        [FFPROBE, "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", mkv],
        { stdout: "pipe" },
      )
        .stdout.toString()
        .trim()
        .split("\n")
        .map(Number);
      expect(pts).toHaveLength(units.length);
      expect((pts[30] as number) - (pts[29] as number)).toBeCloseTo(0.533, 2);
      // Same pictures as the clean decode of the raw stream.
      const decoded = Bun.spawnSync([FFMPEG, "-v", "error", "-i", mkv, "-f", "framemd5", "-"], {
        stdout: "pipe",
      })
        .stdout.toString()
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split(",").at(-1)?.trim());
      expect(decoded).toEqual(md5s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("recorder with H.264", () => {
  test("a flash and a beep captured at the same instant land together in the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "framecast-h264-sync-"));
    try {
      // 3 s of a flash each second (libx264 as the CLI runs it) and of a beep at the same instants.
      const flash =
        "color=c=black:size=160x120:rate=30,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t,1),0.1)'";
      const video = Bun.spawnSync(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", flash, "-t", "3"].concat(
          h264EncodeArgs({ width: 160, height: 120 }, 30, 1),
        ),
        { stdout: "pipe", timeout: 30_000 },
      );
      const units = splitOnAud(new Uint8Array(video.stdout));
      const beep = "aevalsrc=if(lt(mod(t\\,1)\\,0.1)\\,0.5*sin(2*PI*1000*t)\\,0):s=48000:c=mono";
      const sound = Bun.spawnSync(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", beep, "-t", "3", "-c:a", "libopus"].concat([
          "-b:a",
          "32k",
          "-frame_duration",
          "20",
          "-f",
          "ogg",
          "pipe:1",
        ]),
        { stdout: "pipe", timeout: 30_000 },
      );
      const packets: Uint8Array[] = [];
      new OggOpusReader((packet) => packets.push(packet.data)).push(new Uint8Array(sound.stdout));
      expect(units.length).toBe(90);
      const recorder = new Recorder(dir, FFMPEG, () => {});
      const av = { id: 7, name: "av" };
      recorder.audioTrack(av, { codec: "opus", sampleRate: 48_000, channels: 1, muted: false });
      const t0 = 1_700_000_000_000;
      let next = 0;
      for (const [k, unit] of units.entries()) {
        const time = t0 + (k * 1000) / 30;
        for (; next < packets.length && t0 + next * 20 <= time; next++) {
          recorder.audio(av, packets[next] as Uint8Array, t0 + next * 20);
        }
        recorder.h264(av, unit.bytes, time, unit.key);
        await Bun.sleep(2);
      }
      await recorder.close();
      const file = join(dir, "av-7.mkv");
      const frames = videoBrightness(file);
      const offsets = avOffsetsMs(flashOnsets(frames), beepOnsets(decodeAudio(file)));
      expect(frames).toHaveLength(90);
      expect(offsets).toHaveLength(3);
      for (const offset of offsets) expect(Math.abs(offset)).toBeLessThanOrEqual(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("viewer for H.264", () => {
  test("ffplay reads raw H.264 from stdin, low delay", () => {
    const args = viewArgs("framecast: Ann", "h264");
    expect(args.slice(-4)).toEqual(["-f", "h264", "-i", "pipe:0"]);
    expect(args).toContain("nobuffer");
    expect(args).toContain("-framedrop");
  });

  test("what the viewer writes to ffplay's stdin is a clean stream from a key frame", async () => {
    const { units, md5s } = testStream();
    const dir = mkdtempSync(join(tmpdir(), "framecast-view-"));
    try {
      // A stand-in for ffplay that keeps its stdin: the bytes a real one would decode.
      const fake = join(dir, "ffplay");
      const got = join(dir, "got.h264");
      writeFileSync(fake, `#!/bin/sh\ncat > '${got}'\n`, { mode: 0o755 });
      const viewer = new Viewer(fake, () => {});
      const ann = { id: 1, name: "ann" };
      // From the middle of a GOP: the deltas before the next key frame are not written.
      for (const unit of units.slice(20)) viewer.h264(ann, unit.bytes, 0, unit.key);
      await viewer.close();
      const check = Bun.spawnSync(
        [FFMPEG, "-v", "error", "-f", "h264", "-i", got, "-f", "null", "-"],
        {
          stderr: "pipe",
        },
      );
      expect(check.stderr.toString()).toBe("");
      expect(decodeMd5s(got)).toEqual(md5s.slice(30));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.skipIf(!available("ffplay", FFPLAY !== null))(
    "ffplay decodes what the viewer feeds it, from the first key frame on",
    async () => {
      const { units } = testStream();
      const logs: string[] = [];
      const viewer = new Viewer(FFPLAY as string, (line) => logs.push(line), {
        ...process.env,
        SDL_VIDEODRIVER: "dummy",
      });
      const ann = { id: 1, name: `h264view${process.pid}` };
      try {
        // Deltas before the first key frame are not fed (ffplay would log errors for them).
        for (const unit of units.slice(25)) {
          viewer.h264(ann, unit.bytes, 0, unit.key);
          await Bun.sleep(15);
        }
        await Bun.sleep(500);
        expect(viewer.windows).toBe(1);
        expect(logs.filter((line) => line.includes("failed"))).toEqual([]);
      } finally {
        await viewer.close();
      }
      expect(logs.some((line) => /showing h264view\d+ \(H\.264\)/.test(line))).toBe(true);
    },
    20_000,
  );
});
