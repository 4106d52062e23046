// The audio scenario's participants, in a process of their own (so the relay's CPU is the
// relay's): each joins with ?ack=1, acks every video frame as it arrives (as the page and the CLI
// do), and sends real Opus packets (libopus 32 kbit/s, 20 ms, pre-encoded by ffmpeg) at 50 a
// second plus, if asked, JPEG-sized video frames, both on a drift-free schedule. Prints one JSON
// line: per-packet audio latency (receive − capture, same clock), what each receiver got of each
// sender, and the audio bytes sent.
//
//   bun bench/processes/audio-load.ts ROOM_URL PARTICIPANTS SECONDS FRAME_BYTES FPS OPUS_FILE
import { readFileSync } from "node:fs";
import {
  AUDIO_PACKET_MS,
  audioTrackAnnouncement,
  encodeAudioPacket,
  encodeVideoFrame,
  HEADER_BYTES,
  isAudioMessage,
  isControlText,
  roomUrl as joinUrl,
  parseControl,
  readCaptureTime,
  readSenderId,
  writeAckFor,
} from "../../protocol/index.ts";
import { nowMs } from "../client-protocol.ts";

const [roomUrl, countText, secondsText, frameBytesText, fpsText, opusFile] = process.argv.slice(2);
const count = Number(countText);
const seconds = Number(secondsText);
const frameBytes = Number(frameBytesText);
const fps = Number(fpsText);
if (!roomUrl || !(count > 0) || !(seconds > 0) || !(frameBytes >= 0) || !(fps >= 0) || !opusFile) {
  process.stderr.write(
    "usage: bun bench/processes/audio-load.ts ROOM_URL N SECONDS FRAME_BYTES FPS OPUS_FILE\n",
  );
  process.exit(2);
}

/** Opus packets: u16 length-prefixed, as bench/audio-scenario.ts writes them. */
function readPackets(path: string): Uint8Array[] {
  const bytes = readFileSync(path);
  const packets: Uint8Array[] = [];
  for (let at = 0; at + 2 <= bytes.length; ) {
    const length = bytes.readUInt16LE(at);
    packets.push(new Uint8Array(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return packets;
}

interface Member {
  ws: WebSocket;
  id: number;
  /** Audio packets received, by sender id. */
  audioFrom: Map<number, number>;
  videoFrames: number;
}

const opus = readPackets(opusFile);
const jpeg = new Uint8Array(Math.max(2, frameBytes)).fill(0x42);
jpeg[0] = 0xff;
jpeg[1] = 0xd8;
const latencies: number[] = [];
let audioBytesSent = 0;
let measuring = false;

function join(index: number): Promise<Member> {
  const url = new URL(roomUrl as string);
  const room = decodeURIComponent(url.pathname.split("/").pop() ?? "");
  const ws = new WebSocket(joinUrl(url.origin, room, { name: `audio-${index}`, ack: true }));
  ws.binaryType = "arraybuffer";
  const member: Member = { ws, id: 0, audioFrom: new Map(), videoFrames: 0 };
  const ack = new Uint8Array(HEADER_BYTES);
  return new Promise((resolve, reject) => {
    ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      const data = event.data;
      if (typeof data === "string") {
        const control = isControlText(data) ? parseControl(data) : null;
        if (control?.type === "welcome") {
          member.id = control.id;
          ws.send(JSON.stringify(audioTrackAnnouncement()));
          resolve(member);
        }
        return;
      }
      const message = new Uint8Array(data);
      if (isAudioMessage(message)) {
        if (!measuring) return;
        latencies.push(nowMs() - readCaptureTime(message));
        const sender = readSenderId(message);
        member.audioFrom.set(sender, (member.audioFrom.get(sender) ?? 0) + 1);
        return;
      }
      if (measuring) member.videoFrames++;
      writeAckFor(ack, message);
      ws.send(ack);
    };
    ws.onerror = () => reject(new Error(`participant ${index} could not connect`));
  });
}

const members = await Promise.all(Array.from({ length: count }, (_, i) => join(i)));
await Bun.sleep(300);
measuring = true;
const startAt = nowMs() + 50;
const endAt = startAt + seconds * 1000;
const audioSent = new Array<number>(count).fill(0);
const videoSent = new Array<number>(count).fill(0);

await new Promise<void>((resolve) => {
  const tick = () => {
    const now = nowMs();
    members.forEach((member, i) => {
      // Participants spread over the 20 ms, as independent people would be.
      const offset = (i * AUDIO_PACKET_MS) / count;
      let due = startAt + offset + (audioSent[i] as number) * AUDIO_PACKET_MS;
      while (due <= now && due < endAt) {
        const seq = audioSent[i] as number;
        const message = encodeAudioPacket(opus[seq % opus.length] as Uint8Array, nowMs(), seq);
        member.ws.send(message);
        audioBytesSent += message.byteLength;
        audioSent[i] = seq + 1;
        due += AUDIO_PACKET_MS;
      }
      if (fps > 0) {
        const interval = 1000 / fps;
        let videoDue = startAt + (i * interval) / count + (videoSent[i] as number) * interval;
        while (videoDue <= now && videoDue < endAt) {
          const seq = videoSent[i] as number;
          // Skip, like the real senders, while the socket still holds earlier frames.
          if (member.ws.bufferedAmount < 2 * jpeg.byteLength)
            member.ws.send(encodeVideoFrame(jpeg, nowMs(), seq));
          videoSent[i] = seq + 1;
          videoDue += interval;
        }
      }
    });
    if (now >= endAt) resolve();
    else setTimeout(tick, 2);
  };
  tick();
});
await Bun.sleep(1000); // drain
measuring = false;

const lost: number[] = [];
members.forEach((receiver) => {
  members.forEach((sender, i) => {
    if (sender === receiver) return;
    lost.push((audioSent[i] as number) - (receiver.audioFrom.get(sender.id) ?? 0));
  });
});
const expected = audioSent.reduce((a, b) => a + b, 0) * (count - 1);
process.stdout.write(
  `${JSON.stringify({
    latenciesMs: latencies,
    audioSent: audioSent.reduce((a, b) => a + b, 0),
    audioExpected: expected,
    audioLost: lost.reduce((a, b) => a + b, 0),
    audioBytesSent,
    videoSent: videoSent.reduce((a, b) => a + b, 0),
    videoReceived: members.reduce((a, m) => a + m.videoFrames, 0),
    seconds,
  })}\n`,
);
for (const member of members) member.ws.close(1000);
await Bun.sleep(100);
process.exit(0);
