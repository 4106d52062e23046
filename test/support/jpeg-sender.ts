// A test participant that sends real JPEG frames at a steady rate, stamped with capture times.

import { makeJpeg } from "../../harness/jpeg-images.ts";
import { encodeVideoFrame } from "../../protocol/index.ts";
import type { TestPeer } from "./peer.ts";

/** Sends a 160x120 JPEG every 1/fps s until the returned function is called. */
export function sendFrames(peer: TestPeer, fps = 10, seed = 1): () => void {
  const jpegs = [makeJpeg(160, 120, seed), makeJpeg(160, 120, seed + 1)];
  let sequence = 0;
  const timer = setInterval(() => {
    if (peer.ws.readyState !== WebSocket.OPEN) return;
    const jpeg = jpegs[sequence % jpegs.length] as Uint8Array;
    peer.ws.send(encodeVideoFrame(jpeg, performance.timeOrigin + performance.now(), sequence++));
  }, 1000 / fps);
  return () => clearInterval(timer);
}
