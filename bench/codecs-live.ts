// The 16-person room's downlink measured live: 15 senders send the tile layer's real frames
// (MJPEG split into JPEGs, or libx264's Annex B split into access units on its AUDs, as kind 4
// with the key flag) at 30 fps through a real relay to one acking receiver, which counts the
// bytes it gets per second. One relay per codec, one run each.
import { readFileSync } from "node:fs";
import { MjpegSplitter } from "../client/send/mjpeg-splitter.ts";
import { splitOnAud } from "../harness/h264-access-units.ts";
import { startRelayProcess } from "../harness/relay-process.ts";
import { encodeH264Frame, encodeVideoFrame, roomUrl } from "../protocol/index.ts";
import type { Codec } from "./codec-encode.ts";
import { LayerReceiver } from "./layer-receiver.ts";

export interface LiveDownlink {
  codec: Codec;
  senders: number;
  fps: number;
  seconds: number;
  /** Frames the receiver got per sender per second (30 when nothing was held back). */
  fpsPerSender: number;
  /** Whole messages (20-byte header + payload) per second at the receiver. */
  bytesPerSecond: number;
  mbitPerSecond: number;
}

interface Frame {
  bytes: Uint8Array;
  key: boolean;
}

/** The frames of an encoded file, as a sender would send them one by one. */
export function framesOf(path: string, codec: Codec): Frame[] {
  const stream = new Uint8Array(readFileSync(path));
  if (codec === "h264") return splitOnAud(stream);
  const frames: Frame[] = [];
  const splitter = new MjpegSplitter({
    onFrame: (frame) => frames.push({ bytes: frame, key: true }),
  });
  splitter.push(stream);
  return frames;
}

/** Lets sends and subscriptions settle, and every receiver reach a key frame (1 s GOP). */
const SETTLE_MS = 1500;
const now = () => performance.timeOrigin + performance.now();

export async function liveDownlink(options: {
  relayScript: string;
  relayArgs: string[];
  codec: Codec;
  frames: Frame[];
  senders: number;
  fps: number;
  seconds: number;
}): Promise<LiveDownlink> {
  const { codec, frames, senders: count, fps, seconds } = options;
  if (frames.length === 0) throw new Error(`no ${codec} frames to send`);
  const relay = await startRelayProcess(options.relayScript, options.relayArgs);
  const room = `bench-codecs-live-${codec}`;
  const senders: WebSocket[] = [];
  let receiver: LayerReceiver | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    for (let i = 0; i < count; i++) {
      const ws = new WebSocket(roomUrl(relay.url, room, { name: `sender-${i}` }));
      await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve, { once: true });
        ws.addEventListener("error", () => reject(new Error(`sender ${i} could not join`)));
      });
      senders.push(ws);
    }
    receiver = await LayerReceiver.join(
      relay.url,
      room,
      "viewer",
      null,
      codec === "h264" ? ["h264"] : [],
    );
    let tick = 0;
    timer = setInterval(() => {
      const k = tick++;
      senders.forEach((ws, i) => {
        // Each sender at its own place in the stream, so key frames don't all land at once.
        const index = (k + i * 2) % frames.length;
        const frame = frames[index] as Frame;
        ws.send(
          codec === "h264"
            ? encodeH264Frame(frame.bytes, now(), k, frame.key)
            : encodeVideoFrame(frame.bytes, now(), k),
        );
      });
    }, 1000 / fps);
    await Bun.sleep(SETTLE_MS);
    const bytesBefore = receiver.bytes;
    const framesBefore = receiver.frames.length;
    await Bun.sleep(seconds * 1000);
    const bytesPerSecond = (receiver.bytes - bytesBefore) / seconds;
    return {
      codec,
      senders: count,
      fps,
      seconds,
      fpsPerSender: (receiver.frames.length - framesBefore) / seconds / count,
      bytesPerSecond,
      mbitPerSecond: (bytesPerSecond * 8) / 1e6,
    };
  } finally {
    clearInterval(timer);
    for (const ws of senders) ws.close();
    receiver?.close();
    await relay.stop();
  }
}
