// Audio through the real relay: fan-out, the audio_track announcement and its replay to late
// joiners, ?audio=0, old-protocol peers, refusals, metrics, the audio rate budget, and issue 12's
// acceptance: a receiver whose video is paced to 10 fps by acks, or whose video is being dropped
// because it stopped reading, still gets >= 99% of the audio packets.
import { afterEach, expect, test } from "bun:test";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import { type SlowViewer, startSlowViewer } from "../../harness/slow-viewer-process.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  audioTrackAnnouncement,
  encodeAudioPacket,
  encodeVideoFrame,
  FrameKind,
  isAudioMessage,
  readHeader,
  readSenderId,
  roomUrl,
} from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";
import { joinStalledPeer, type StalledPeer } from "../support/stalled-peer.ts";

let relay: SpawnedRelay | null = null;
const peers: TestPeer[] = [];
const viewers: SlowViewer[] = [];
const stalls: StalledPeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  await Promise.all(viewers.splice(0).map((viewer) => viewer.stop()));
  await Promise.all(stalls.splice(0).map((peer) => peer.kill()));
  await relay?.stop();
  relay = null;
});

async function join(room: string, name: string, options: { audio?: boolean; ack?: boolean } = {}) {
  const url = roomUrl((relay as SpawnedRelay).wsUrl, room, {
    name,
    ack: options.ack ?? false,
    audio: options.audio ?? true,
  });
  const peer = await TestPeer.joinWith(url);
  peers.push(peer);
  return peer;
}

const audioOf = (peer: TestPeer) => peer.binary.filter((m) => isAudioMessage(m));
const opus = (i: number) => new Uint8Array(80).fill(i & 0xff);

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${(relay as SpawnedRelay).httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

test("audio fans out byte for byte with the sender stamped; tracks reach everyone, late joiners too", async () => {
  relay = await startRelay();
  const alice = await join("talk", "alice");
  const bob = await join("talk", "bob");
  const mute = await join("talk", "quiet", { audio: false });
  alice.ws.send(JSON.stringify({ ...audioTrackAnnouncement(), extra: "dropped" }));
  const track = await bob.waitForControl("audio_track");
  expect(track).toEqual({ ...audioTrackAnnouncement(), id: alice.welcome.id });
  for (let i = 0; i < 20; i++) alice.ws.send(encodeAudioPacket(opus(i), 1000 + i * 20, i));
  await bob.waitFor(() => audioOf(bob).length === 20, "20 audio packets at bob");
  const got = audioOf(bob);
  got.forEach((message, i) => {
    expect(readHeader(message)).toEqual({
      version: 1,
      kind: FrameKind.Audio,
      flags: 0,
      senderId: alice.welcome.id,
      captureTimeMs: 1000 + i * 20,
      sequence: i,
    });
    expect([...message.subarray(20)]).toEqual([...opus(i)]);
  });
  // A late joiner gets the track right after its welcome, before any packet.
  const carol = await join("talk", "carol");
  await carol.waitForControl("audio_track");
  const welcomeAt = carol.controls.findIndex((c) => c.type === "welcome");
  const trackAt = carol.controls.findIndex((c) => c.type === "audio_track");
  expect(trackAt).toBe(welcomeAt + 1);
  // Mute is a new announcement, passed on as such.
  alice.ws.send(JSON.stringify(audioTrackAnnouncement(true)));
  await carol.waitForControl("audio_track", (m) => m.muted);
  alice.ws.send(encodeVideoFrame(makeJpegOfSize(2000, 1), 1, 1));
  await mute.waitFor(() => mute.binary.length === 1, "the video frame at the peer without audio");
  // ?audio=0: video and presence as usual, no audio, no tracks. Alice never hears herself.
  expect(audioOf(mute)).toHaveLength(0);
  expect(mute.controls.some((c) => c.type === "audio_track")).toBe(false);
  expect(audioOf(alice)).toHaveLength(0);
  expect(readSenderId(mute.binary[0] as Uint8Array)).toBe(alice.welcome.id);
  expect(await metric("framecast_audio_packets_in_total")).toBe(20);
  expect(await metric("framecast_audio_packets_out_total")).toBe(20); // bob only (carol came later)
  expect(await metric("framecast_audio_bytes_in_total")).toBe(20 * 100);
  expect(await metric("framecast_frames_in_total")).toBe(1); // audio is not counted as video
});

test("old-protocol peers get no audio and lose nothing else", async () => {
  relay = await startRelay();
  const v1 = await join("lobby", "v1");
  const legacy = await TestPeer.connect(`${relay.wsUrl}/`);
  peers.push(legacy);
  await v1.waitForControl("join");
  v1.ws.send(JSON.stringify(audioTrackAnnouncement()));
  for (let i = 0; i < 5; i++) v1.ws.send(encodeAudioPacket(opus(i), i, i));
  v1.ws.send(encodeVideoFrame(makeJpegOfSize(1500, 2), 1, 1));
  await legacy.waitFor(() => legacy.texts.length >= 1, "the base64 video frame");
  await Bun.sleep(200);
  expect(legacy.texts).toHaveLength(1); // the frame only: no JSON, no audio
  expect(legacy.texts[0]?.startsWith("/9j/")).toBe(true);
  expect(legacy.binary).toHaveLength(0);
});

test("bad audio and bad tracks are refused with the documented codes; audio has its own budget", async () => {
  relay = await startRelay(["--max-audio-pps", "10", "--max-fps", "5"]);
  const alice = await join("r", "alice");
  const bob = await join("r", "bob");
  alice.ws.send(encodeAudioPacket(new Uint8Array(1501), 0, 0));
  await alice.waitForControl("error", (e) => e.code === "frame_too_large");
  alice.ws.send(
    JSON.stringify({ type: "audio_track", codec: "aac", sampleRate: 48000, channels: 1 }),
  );
  await alice.waitForControl("error", (e) => e.code === "bad_control");
  alice.ws.send(encodeAudioPacket(new Uint8Array(0), 0, 0));
  await alice.waitForControl("error", (e) => e.code === "frame_empty");
  // 10 audio/s with 2 s of burst = 20 (the oversized packet above took one); the video budget
  // (5/s, burst 10) is left alone by audio.
  for (let i = 0; i < 40; i++) alice.ws.send(encodeAudioPacket(opus(i), i, i));
  for (let i = 0; i < 8; i++) alice.ws.send(encodeVideoFrame(makeJpegOfSize(2000, i), i, i));
  await bob.waitFor(() => bob.binary.length >= 27, "19 audio packets and 8 frames");
  await Bun.sleep(200);
  expect(audioOf(bob).length).toBeGreaterThanOrEqual(19);
  expect(audioOf(bob).length).toBeLessThan(25);
  expect(bob.binary.filter((m) => !isAudioMessage(m))).toHaveLength(8);
  await alice.waitForControl("error", (e) => e.code === "rate_limited");
});

/** Sends 30 fps of 40 kB video and 50 packets/s of audio from `sender` for `seconds`. */
async function sendCall(
  sender: TestPeer,
  seconds: number,
): Promise<{ audio: number; video: number }> {
  const jpeg = makeJpegOfSize(40_000, 3);
  const start = performance.now();
  let audio = 0;
  let video = 0;
  while (performance.now() - start < seconds * 1000) {
    const t = performance.now() - start;
    while (audio * 20 <= t) {
      sender.ws.send(
        encodeAudioPacket(opus(audio), performance.timeOrigin + performance.now(), audio),
      );
      audio++;
    }
    while (video * (1000 / 30) <= t) {
      sender.ws.send(encodeVideoFrame(jpeg, performance.timeOrigin + performance.now(), video));
      video++;
    }
    await Bun.sleep(5);
  }
  return { audio, video };
}

test("acceptance: a viewer whose video is paced to 10 fps by its acks gets >= 99% of the audio", async () => {
  relay = await startRelay();
  const sender = await join("paced", "sender");
  const acking = await startSlowViewer(`${relay.wsUrl}/v1/rooms/paced?name=slow`, 10, true);
  viewers.push(acking);
  sender.ws.send(JSON.stringify(audioTrackAnnouncement()));
  const sent = await sendCall(sender, 8);
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline && acking.audio.length < sent.audio) await Bun.sleep(100);
  const delays = acking.audio.map((a) => a.receivedMs - a.captureMs).sort((a, b) => a - b);
  console.log(
    `acking 10 fps viewer: audio ${acking.audio.length}/${sent.audio}, delay p50 ` +
      `${delays[Math.floor(delays.length / 2)]?.toFixed(0)} ms p99 ` +
      `${delays[Math.floor(delays.length * 0.99)]?.toFixed(0)} ms; video ${acking.frames.length}/${sent.video}`,
  );
  expect(acking.audio.length / sent.audio).toBeGreaterThanOrEqual(0.99);
  expect(acking.frames.length).toBeLessThan(sent.video * 0.6); // paced to about 10 fps
  expect(await metric("framecast_audio_packets_dropped_total")).toBe(0);
}, 30_000);

test("acceptance: a receiver that stops reading loses video at the relay, not audio (>= 99%)", async () => {
  relay = await startRelay();
  const sender = await join("stall", "sender");
  const stalled = await joinStalledPeer(`${relay.wsUrl}/v1/rooms/stall?name=frozen`);
  stalls.push(stalled);
  sender.ws.send(JSON.stringify(audioTrackAnnouncement()));
  await sendCall(sender, 1);
  stalled.stall(); // nothing reads its socket: the kernel's buffers fill, then the relay's
  const during = await sendCall(sender, 5);
  stalled.resume();
  const after = await sendCall(sender, 1);
  const audioSent = Math.round(during.audio + after.audio) + 50;
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && stalled.audio() < audioSent) await Bun.sleep(100);
  const droppedVideo = await metric("framecast_frames_dropped_total");
  console.log(
    `stalled 5 s: audio ${stalled.audio()}/${audioSent}, video dropped at the relay ${droppedVideo} ` +
      `of ${during.video + after.video + 30}`,
  );
  expect(stalled.audio() / audioSent).toBeGreaterThanOrEqual(0.99);
  expect(droppedVideo).toBeGreaterThan(0);
  expect(await metric("framecast_audio_packets_dropped_total")).toBe(0);
}, 45_000);
