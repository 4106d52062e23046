// Kind 4 (H.264) through the real relay on real sockets (issue 20's relay acceptance): a sender
// of a pre-encoded libx264 stream (1 s GOP) at real time; receivers on a free link, behind a
// throttle with acks, behind a throttle without acks, and a late joiner. Every picture each one
// decodes must equal the clean decode of the same access unit (ffmpeg framemd5), and the first
// unit each gets must be a key frame. A receiver without codecs=h264 gets no kind 4.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { startThrottleProxy, type ThrottleProxy } from "../../harness/throttle-proxy.ts";
import { available, FFMPEG } from "../../harness/tools.ts";
import {
  encodeH264Frame,
  FrameKind,
  framePayload,
  isKeyFrame,
  readCaptureTime,
  readSequence,
} from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { decodeUnits, encodeTestStream, type TestStream } from "../support/h264-stream.ts";
import { TestPeer } from "../support/peer.ts";

const hasX264 = available(
  "ffmpeg with libx264",
  Bun.spawnSync([FFMPEG, "-hide_banner", "-encoders"]).stdout.toString().includes("libx264"),
);
const SECONDS = 8;
/** Below the stream's ~1.5 Mbit/s: both throttled receivers must miss frames. */
const THROTTLE_BYTES_PER_SECOND = 90_000;

let stream: TestStream;
let relay: SpawnedRelay;
const proxies: ThrottleProxy[] = [];
const peers: { close(): void }[] = [];

beforeAll(async () => {
  if (!hasX264) return;
  stream = encodeTestStream(SECONDS);
  relay = await startRelay();
  proxies.push(await startThrottleProxy(relay.port, THROTTLE_BYTES_PER_SECOND));
  proxies.push(await startThrottleProxy(relay.port, THROTTLE_BYTES_PER_SECOND));
}, 60_000); // encoding and decoding 8 s of video takes seconds on a loaded machine

afterAll(async () => {
  for (const peer of peers) peer.close();
  for (const proxy of proxies) await proxy.close();
  await relay?.stop();
  stream?.cleanup();
});

const now = () => performance.timeOrigin + performance.now();

/** Checks a receiver's stream: key frame first, every decoded picture equals the clean one. */
function checkReceiver(name: string, frames: Uint8Array[]) {
  const h264 = frames.filter((f) => f[1] === FrameKind.VideoH264);
  expect(h264.length).toBeGreaterThan(0);
  expect(isKeyFrame(h264[0] as Uint8Array)).toBe(true);
  const decoded = decodeUnits(
    stream.dir,
    name,
    h264.map((f) => framePayload(f)),
  );
  const expected = h264.map((f) => stream.md5s[readSequence(f)]);
  expect(decoded.length).toBe(h264.length);
  let equal = 0;
  for (let i = 0; i < decoded.length; i++) if (decoded[i] === expected[i]) equal++;
  expect(equal).toBe(h264.length);
  return h264;
}

test.skipIf(!hasX264)(
  "every receiver of an H.264 stream decodes only clean pictures, starting on a key frame",
  async () => {
    const room = "h264";
    const sender = await TestPeer.join(relay.wsUrl, room, "camera");
    peers.push({ close: () => sender.ws.close() });
    const fast = await AckingPeer.join(relay.wsUrl, room, "fast", "auto", true, false, true);
    const slowAcking = await AckingPeer.join(
      (proxies[0] as ThrottleProxy).wsUrl,
      room,
      "slow-acking",
      "auto",
      true,
      false,
      true,
    );
    const slowPlain = await AckingPeer.join(
      (proxies[1] as ThrottleProxy).wsUrl,
      room,
      "slow-plain",
      "manual",
      false,
      false,
      true,
    );
    const jpegOnly = await AckingPeer.join(relay.wsUrl, room, "jpeg-only", "auto", true);
    peers.push(fast, slowAcking, slowPlain, jpegOnly);
    let late: AckingPeer | null = null;
    const start = performance.now();
    for (let i = 0; i < stream.units.length; i++) {
      await Bun.sleep(Math.max(0, start + (i * 1000) / 30 - performance.now()));
      const unit = stream.units[i] as { bytes: Uint8Array; key: boolean };
      sender.ws.send(encodeH264Frame(unit.bytes, now(), i, unit.key));
      if (i === 45) {
        // Half-way into a GOP: it must wait for the next key frame (unit 60).
        late = await AckingPeer.join(relay.wsUrl, room, "late", "manual", false, false, true);
        peers.push(late);
      }
    }
    await Bun.sleep(1500); // the throttled ones drain
    const sent = stream.units.length;
    const results: Record<string, Uint8Array[]> = {
      fast: checkReceiver("fast", fast.frames),
      "slow-acking": checkReceiver("slow-acking", slowAcking.frames),
      "slow-plain": checkReceiver("slow-plain", slowPlain.frames),
      late: checkReceiver("late", (late as AckingPeer | null)?.frames ?? []),
    };
    expect(results.fast?.length).toBe(sent);
    expect(readSequence(results.late?.[0] as Uint8Array)).toBe(60);
    expect(jpegOnly.frames.filter((f) => f[1] === FrameKind.VideoH264)).toEqual([]);
    // The sender was asked for key frames (late joiner, throttled receivers), within the limit.
    const requests = sender.controls.filter((c) => c.type === "keyframe_request").length;
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(Math.ceil((SECONDS * 1000) / 500) + 1);
    // The sender learnt which codecs its receivers need: the jpeg-only one needs JPEG.
    const needed = sender.controls.filter((c) => c.type === "codecs_needed").at(-1);
    expect(needed).toMatchObject({ jpeg: true, h264: true });
    for (const [name, frames] of Object.entries(results)) {
      const ages = frames
        .map(
          (f, i) =>
            ((name === "fast"
              ? fast
              : name === "slow-acking"
                ? slowAcking
                : name === "slow-plain"
                  ? slowPlain
                  : (late as AckingPeer)
            ).times[i] as number) - readCaptureTime(f),
        )
        .sort((a, b) => a - b);
      const p95 = ages[Math.floor(ages.length * 0.95)] ?? 0;
      const keys = frames.filter((f) => isKeyFrame(f)).length;
      console.log(
        `${name}: ${frames.length}/${sent} access units (${keys} key), ${(frames.length / SECONDS).toFixed(1)} fps, p95 age ${p95.toFixed(0)} ms, all decoded pictures clean`,
      );
    }
  },
  60_000,
);
