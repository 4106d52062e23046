// The page acks a frame once it is drawn or failed to decode; never one replaced while waiting
// (the newer frame's ack covers it) nor one finishing after its tile went away.
import { expect, test } from "bun:test";
import { type IncomingFrame, LatestFrameDrawer } from "../../web/watch/latest-frame-drawer.ts";

function frame(name: string, done: string[]): IncomingFrame {
  return { jpeg: new TextEncoder().encode(name), captureTimeMs: 0, done: () => done.push(name) };
}

test("done() after drawing or a failed decode, not for replaced frames or after dispose", async () => {
  const done: string[] = [];
  const releases: Array<() => void> = [];
  const drawer = new LatestFrameDrawer(
    (jpeg) =>
      new Promise<{ close(): void }>((resolve, reject) => {
        const name = new TextDecoder().decode(jpeg);
        releases.push(() =>
          name === "bad" ? reject(new Error("corrupt")) : resolve({ close() {} }),
        );
      }),
    () => {},
  );
  drawer.push(frame("a", done)); // decoding
  drawer.push(frame("b", done)); // waiting
  drawer.push(frame("c", done)); // replaces b
  releases.shift()?.();
  await Bun.sleep(1);
  expect(done).toEqual(["a"]);
  releases.shift()?.(); // c drawn
  await Bun.sleep(1);
  expect(done).toEqual(["a", "c"]);
  drawer.push(frame("bad", done));
  releases.shift()?.();
  await Bun.sleep(1);
  expect(done).toEqual(["a", "c", "bad"]);
  drawer.push(frame("late", done));
  drawer.dispose();
  releases.shift()?.();
  await Bun.sleep(1);
  expect(done).toEqual(["a", "c", "bad"]);
}, 5_000);
