// The page's H.264 logic that needs no browser (docs/BROWSER.md, "Video codec"): the SPS's codec
// string, level and bitrate per layer size, the codec choice and codecs_needed, the key-frame
// schedule of a sender, the key-frame gate of a receiver, and the per-layer decoder's promise
// that every frame is finished (acked) exactly once, on a fake VideoDecoder.
import { afterEach, describe, expect, test } from "bun:test";
import { avcCodecString, codecOfKeyFrame, readSpsProfile } from "../../protocol/index.ts";
import { chooseCodec, forcedCodec, JPEG_ONLY, streamsToSend } from "../../web/send/codec-choice.ts";
import {
  h264Bitrate,
  h264Codec,
  h264EncoderConfig,
  h264Level,
} from "../../web/send/h264-config.ts";
import { KeyframeSchedule, MAX_KEY_INTERVAL_MS } from "../../web/send/keyframe-schedule.ts";
import { H264LayerDecoder } from "../../web/watch/h264-layer-decoder.ts";
import { KeyFrameGate } from "../../web/watch/key-frame-gate.ts";
import type { DrawerCounts, IncomingFrame } from "../../web/watch/latest-frame-drawer.ts";

/** A key frame as Chromium's encoder makes it: SPS (constrained baseline 2.2), PPS, IDR. */
const KEY_UNIT = new Uint8Array([
  0,
  0,
  0,
  1,
  0x67,
  0x42,
  0xc0,
  0x16,
  0x8c,
  0x8d,
  0x70,
  0x50, // SPS
  0,
  0,
  0,
  1,
  0x68,
  0xce,
  0x3c,
  0x80, // PPS
  0,
  0,
  0,
  1,
  0x65,
  0xb8,
  0x00,
  0x04, // IDR slice
]);
const DELTA_UNIT = new Uint8Array([0, 0, 0, 1, 0x41, 0xe0, 0x00, 0x40]);

describe("SPS → codec string", () => {
  test("profile, constraints and level from the SPS of a key frame", () => {
    expect(readSpsProfile(KEY_UNIT)).toEqual({ profile: 0x42, constraints: 0xc0, level: 0x16 });
    expect(codecOfKeyFrame(KEY_UNIT)).toBe("avc1.42C016");
    expect(avcCodecString({ profile: 100, constraints: 0, level: 40 })).toBe("avc1.640028");
  });

  test("3-byte start codes, and an SPS after an AUD (ffmpeg's aud=1)", () => {
    const unit = new Uint8Array([0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac]);
    expect(codecOfKeyFrame(unit)).toBe("avc1.64001F");
  });

  test("no SPS (a delta frame, garbage, a truncated SPS): null", () => {
    expect(codecOfKeyFrame(DELTA_UNIT)).toBeNull();
    expect(codecOfKeyFrame(new Uint8Array([1, 2, 3, 4, 5]))).toBeNull();
    expect(codecOfKeyFrame(new Uint8Array([0, 0, 1, 0x67, 0x42]))).toBeNull();
    expect(codecOfKeyFrame(new Uint8Array([0, 0, 1, 0x67, 0x00, 0x00, 0x1f, 0x00]))).toBeNull();
  });
});

describe("encoder settings per layer size", () => {
  test("the smallest level that holds the size and rate", () => {
    expect(h264Level({ width: 160, height: 120 }, 15)).toBe(0x0d); // 1.3
    expect(h264Level({ width: 320, height: 240 }, 30)).toBe(0x0d);
    expect(h264Level({ width: 640, height: 480 }, 15)).toBe(0x1e); // 3.0
    expect(h264Level({ width: 640, height: 480 }, 30)).toBe(0x1e);
    expect(h264Level({ width: 960, height: 540 }, 30)).toBe(0x1f); // 3.1
    expect(h264Level({ width: 1280, height: 720 }, 30)).toBe(0x1f);
    expect(h264Level({ width: 1920, height: 1080 }, 30)).toBe(0x28); // 4.0
    expect(h264Codec({ width: 640, height: 480 }, 15)).toBe("avc1.42E01E");
  });

  test("bitrates for real cameras: 0.45-0.8 Mbit/s at 360p-480p, less for smaller layers", () => {
    expect(h264Bitrate({ width: 640, height: 360 })).toBe(450_000);
    const vga = h264Bitrate({ width: 640, height: 480 });
    expect(vga).toBeGreaterThan(450_000);
    expect(vga).toBeLessThan(800_000);
    const sizes = [
      [160, 90],
      [320, 180],
      [320, 240],
      [640, 480],
      [960, 540],
      [1280, 720],
    ] as const;
    const rates = sizes.map(([width, height]) => h264Bitrate({ width, height }));
    expect(rates).toEqual([...rates].sort((x, y) => x - y));
    expect(h264Bitrate({ width: 1280, height: 720 })).toBe(1_700_000);
    expect(h264Bitrate({ width: 80, height: 45 })).toBeGreaterThan(0);
  });

  test("the config: realtime, annexb, no-preference, L1T3 only when asked", () => {
    const size = { width: 640, height: 480 };
    expect(h264EncoderConfig(size, 15, true)).toMatchObject({
      codec: "avc1.42E01E",
      width: 640,
      height: 480,
      framerate: 15,
      latencyMode: "realtime",
      avc: { format: "annexb" },
      hardwareAcceleration: "no-preference",
      scalabilityMode: "L1T3",
    });
    expect(h264EncoderConfig(size, 15, false).scalabilityMode).toBeUndefined();
  });
});

describe("codec choice", () => {
  const both = { encode: true, decode: true };
  test("H.264 only where the browser encodes and decodes it; ?codec=jpeg forces JPEG", () => {
    expect(chooseCodec(both, null)).toBe("h264");
    expect(chooseCodec({ encode: false, decode: true }, null)).toBe("jpeg");
    expect(chooseCodec({ encode: true, decode: false }, null)).toBe("jpeg");
    expect(chooseCodec(both, "jpeg")).toBe("jpeg");
    expect(chooseCodec({ encode: false, decode: false }, "h264")).toBe("jpeg");
    expect(forcedCodec("http://127.0.0.1:8765/r/team?codec=jpeg#key=x")).toBe("jpeg");
    expect(forcedCodec("http://127.0.0.1:8765/r/team?codec=vp9")).toBeNull();
    expect(forcedCodec("http://127.0.0.1:8765/r/team")).toBeNull();
  });

  test("codecs_needed: kind 4 while someone decodes it, JPEG while someone can't or nobody asks", () => {
    expect(streamsToSend("h264", JPEG_ONLY)).toEqual({ jpeg: true, h264: false });
    expect(streamsToSend("h264", { jpeg: false, h264: true })).toEqual({ jpeg: false, h264: true });
    expect(streamsToSend("h264", { jpeg: true, h264: true })).toEqual({ jpeg: true, h264: true });
    expect(streamsToSend("h264", { jpeg: true, h264: false })).toEqual({ jpeg: true, h264: false });
    // Alone in the room: the chosen codec, so a joiner that decodes H.264 never sees a switch.
    expect(streamsToSend("h264", { jpeg: false, h264: false })).toEqual({
      jpeg: false,
      h264: true,
    });
    expect(streamsToSend("jpeg", { jpeg: false, h264: true })).toEqual({ jpeg: true, h264: false });
  });
});

describe("KeyframeSchedule", () => {
  test("the first frame, then at least every 2 s", () => {
    const schedule = new KeyframeSchedule();
    expect(schedule.next(0)).toBe(true);
    expect(schedule.next(100)).toBe(false);
    expect(schedule.next(MAX_KEY_INTERVAL_MS - 1)).toBe(false);
    expect(schedule.next(MAX_KEY_INTERVAL_MS)).toBe(true);
    expect(schedule.next(MAX_KEY_INTERVAL_MS + 66)).toBe(false);
  });

  test("a request makes the next frame key, once; it restarts the interval", () => {
    const schedule = new KeyframeSchedule();
    schedule.next(0);
    schedule.request();
    schedule.request(); // two requests before a frame: one key frame
    expect(schedule.next(500)).toBe(true);
    expect(schedule.next(566)).toBe(false);
    expect(schedule.next(2400)).toBe(false);
    expect(schedule.next(2500)).toBe(true);
  });

  test("a key frame the encoder made on its own restarts the interval", () => {
    const schedule = new KeyframeSchedule();
    schedule.next(0);
    schedule.keyMade(1500);
    expect(schedule.next(2000)).toBe(false);
    expect(schedule.next(3500)).toBe(true);
    schedule.keyMade(100); // late news of an older key changes nothing
    expect(schedule.next(5000)).toBe(false);
  });
});

describe("KeyFrameGate", () => {
  test("deltas are dropped until a key frame, which configures the decoder", () => {
    const gate = new KeyFrameGate();
    expect(gate.admit(false, null)).toEqual({ action: "drop" });
    expect(gate.admit(true, "avc1.42C016")).toEqual({ action: "decode", configure: "avc1.42C016" });
    expect(gate.admit(false, null)).toEqual({ action: "decode", configure: null });
    // The same codec again: the decoder stays as it is.
    expect(gate.admit(true, "avc1.42C016")).toEqual({ action: "decode", configure: null });
    // Another size or level: a new config.
    expect(gate.admit(true, "avc1.42C01E")).toEqual({ action: "decode", configure: "avc1.42C01E" });
  });

  test("after a decoder error: drop until the next key frame, then a fresh config", () => {
    const gate = new KeyFrameGate();
    gate.admit(true, "avc1.42C016");
    gate.failed();
    expect(gate.waiting).toBe(true);
    expect(gate.admit(false, null)).toEqual({ action: "drop" });
    expect(gate.admit(true, "avc1.42C016")).toEqual({ action: "decode", configure: "avc1.42C016" });
    expect(gate.waiting).toBe(false);
  });

  test("a key frame without SPS can't start a stream, but decodes in a running one", () => {
    const gate = new KeyFrameGate();
    expect(gate.admit(true, null)).toEqual({ action: "drop" });
    gate.admit(true, "avc1.42C016");
    expect(gate.admit(true, null)).toEqual({ action: "decode", configure: null });
  });
});

/** A VideoDecoder stand-in: records configs and chunks; the test outputs pictures or fails it. */
class FakeDecoder {
  static made: FakeDecoder[] = [];
  state: "unconfigured" | "configured" | "closed" = "unconfigured";
  readonly configs: string[] = [];
  readonly chunks: { type: string; timestamp: number }[] = [];
  constructor(readonly init: { output: (f: unknown) => void; error: (e: Error) => void }) {
    FakeDecoder.made.push(this);
  }
  configure(config: { codec: string }) {
    this.state = "configured";
    this.configs.push(config.codec);
  }
  decode(chunk: { type: string; timestamp: number }) {
    if (this.chunks.length === 0 && chunk.type !== "key")
      throw new DOMException("key", "DataError");
    this.chunks.push(chunk);
  }
  close() {
    this.state = "closed";
  }
  /** The picture of chunk `i`. */
  output(i: number) {
    const timestamp = this.chunks[i]?.timestamp ?? -1;
    this.init.output({ timestamp, close() {} });
  }
  fail() {
    this.state = "closed";
    this.init.error(new Error("decode error"));
  }
}

const globals = globalThis as unknown as Record<string, unknown>;
const saved = { VideoDecoder: globals.VideoDecoder, EncodedVideoChunk: globals.EncodedVideoChunk };
afterEach(() => {
  globals.VideoDecoder = saved.VideoDecoder;
  globals.EncodedVideoChunk = saved.EncodedVideoChunk;
  FakeDecoder.made = [];
});

function fakeDecoding() {
  globals.VideoDecoder = FakeDecoder;
  globals.EncodedVideoChunk = class {
    readonly type: string;
    readonly timestamp: number;
    constructor(init: { type: string; timestamp: number }) {
      this.type = init.type;
      this.timestamp = init.timestamp;
    }
  };
  const counts: DrawerCounts = { received: 0, drawn: 0, dropped: 0, failed: 0 };
  const shown: number[] = [];
  const done: number[] = [];
  const decoder = new H264LayerDecoder(counts, (_picture, frame) =>
    shown.push(frame.captureTimeMs),
  );
  const frame = (n: number): IncomingFrame => ({
    jpeg: new Uint8Array(),
    captureTimeMs: n,
    done: () => done.push(n),
  });
  return { counts, shown, done, decoder, frame };
}

describe("H264LayerDecoder (fake VideoDecoder)", () => {
  test("waits for a key frame, decodes in order, finishes every frame once", () => {
    const { counts, shown, done, decoder, frame } = fakeDecoding();
    decoder.push(DELTA_UNIT, false, frame(1)); // joined mid-stream: dropped, acked
    decoder.push(KEY_UNIT, true, frame(2));
    decoder.push(DELTA_UNIT, false, frame(3));
    const fake = FakeDecoder.made[0] as FakeDecoder;
    expect(fake.configs).toEqual(["avc1.42C016"]);
    expect(fake.chunks.map((c) => c.type)).toEqual(["key", "delta"]);
    expect(done).toEqual([1]);
    fake.output(0);
    fake.output(1);
    expect(shown).toEqual([2, 3]);
    expect(done).toEqual([1, 2, 3]);
    expect(counts).toEqual({ received: 3, drawn: 2, dropped: 1, failed: 0 });
  });

  test("a frame that gave no picture is finished with the next picture", () => {
    const { shown, done, decoder, frame } = fakeDecoding();
    decoder.push(KEY_UNIT, true, frame(1));
    decoder.push(DELTA_UNIT, false, frame(2));
    (FakeDecoder.made[0] as FakeDecoder).output(1);
    expect(shown).toEqual([2]);
    expect(done).toEqual([1, 2]);
  });

  test("an error closes the decoder: frames in it are finished, the next key frame builds a new one", () => {
    const { counts, done, decoder, frame } = fakeDecoding();
    decoder.push(KEY_UNIT, true, frame(1));
    decoder.push(DELTA_UNIT, false, frame(2));
    (FakeDecoder.made[0] as FakeDecoder).fail();
    expect(done).toEqual([1, 2]);
    decoder.push(DELTA_UNIT, false, frame(3)); // still waiting for a key frame
    expect(FakeDecoder.made.length).toBe(1);
    decoder.push(KEY_UNIT, true, frame(4));
    expect(FakeDecoder.made.length).toBe(2);
    expect((FakeDecoder.made[1] as FakeDecoder).configs).toEqual(["avc1.42C016"]);
    expect(done).toEqual([1, 2, 3]);
    expect(counts.failed).toBe(1);
    expect(counts.dropped).toBe(1);
    decoder.close();
    expect(done).toEqual([1, 2, 3, 4]);
  });
});
