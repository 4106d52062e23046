import { expect, test } from "bun:test";
import { startSlowViewer } from "../bench/slow-viewer-process.ts";
import { encodeVideoFrame } from "../protocol/index.ts";
import { AckingPeer } from "./support/acking-peer.ts";
import { makeJpegOfSize } from "./support/jpeg.ts";
import { startRelay } from "./support/relay.ts";

test("debug", async () => {
  const relay = await startRelay();
  const room = `${relay.wsUrl}/v1/rooms/dbg`;
  const slow = await startSlowViewer(`${room}?name=slow`, 10, true);
  const sender = await AckingPeer.join(relay.wsUrl, "dbg", "sender", "manual", false);
  const jpeg = makeJpegOfSize(40000, 1);
  const now = () => performance.timeOrigin + performance.now();
  const start = now();
  for (let i = 0; i < 150; i++) {
    const wait = start + (i * 1000) / 30 - now();
    if (wait > 0) await Bun.sleep(wait);
    sender.ws.send(encodeVideoFrame(jpeg, now(), i));
  }
  await Bun.sleep(500);
  const m = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  console.log(m.split("\n").filter((l) => /acks_total|held|catch_up|parks|frames_out/.test(l) && !l.startsWith("#")).join("\n"));
  console.log(slow.frames.slice(-20).map((f) => `${f.seq}:${(f.receivedMs - f.captureMs).toFixed(0)}@${(f.receivedMs - start).toFixed(0)}`).join(" "));
  await slow.stop(); sender.close(); await relay.stop();
  expect(1).toBe(1);
}, 30_000);
