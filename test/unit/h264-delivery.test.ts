// The relay's rule for kind 4 (H.264) on fake sockets: no receiver ever gets a delta frame whose
// reference it did not get (late join, a skipped frame, the ack window), higher temporal layers
// may be missed alone, receivers without codecs=h264 get no kind 4, key frame requests are
// rate-limited, and senders learn which codecs are needed (relay/delivery/h264/).
import { afterEach, expect, test } from "bun:test";
import {
  encodeAck,
  encodeH264Frame,
  isKeyFrame,
  readSequence,
  readTemporalLayer,
} from "../../protocol/index.ts";
import { LocalBus } from "../../relay/cluster/local-bus.ts";
import { socketBackpressureLimit } from "../../relay/delivery/audio-fanout.ts";
import { Fanout } from "../../relay/delivery/fanout.ts";
import { type Room, RoomRegistry } from "../../relay/rooms.ts";
import { FakeServer, FakeSocket } from "../support/fake-bun-sockets.ts";

const LIMIT = 10_000;
let fanouts: Fanout[] = [];
afterEach(() => {
  for (const fanout of fanouts) fanout.pacing.stop();
  fanouts = [];
});

function setup(ackWindow = 2) {
  const server = new FakeServer(socketBackpressureLimit(LIMIT));
  const rooms = new RoomRegistry(10, 100);
  const fanout = new Fanout(
    { maxFrameBytes: 100_000, backpressureLimitBytes: LIMIT, ackWindow },
    new LocalBus(),
  );
  fanouts.push(fanout);
  fanout.attach(server.asServer());
  const room = rooms.roomFor("room") as Room;
  /** Admits a fake peer as relay/sockets.ts does. */
  const join = (options: { h264?: boolean; acks?: boolean; legacy?: boolean } = {}) => {
    const socket = new FakeSocket(server, {
      h264: options.h264 ?? false,
      acks: options.acks ?? false,
      legacy: options.legacy ?? false,
    });
    rooms.add(socket.ws, room);
    if (socket.data.legacy) socket.subscribe(room.legacyTopic);
    else {
      socket.subscribe(room.presenceTopic);
      if (!socket.data.acks) socket.subscribe(room.binaryTopic);
      fanout.pacing.join(socket.ws);
      fanout.h264.join(socket.ws);
    }
    fanout.codecsChanged(room);
    return socket;
  };
  const leave = (socket: FakeSocket) => {
    rooms.remove(socket.ws);
    fanout.pacing.leave(socket.ws);
    fanout.h264.leave(socket.ws);
    fanout.codecsChanged(room);
  };
  /** The sender sends access unit `seq` (key frame or delta, temporal layer `t`). */
  const send = (sender: FakeSocket, seq: number, key: boolean, t = 0, bytes = 100, stepMs = 1) => {
    const frame = encodeH264Frame(
      new Uint8Array(bytes).fill(seq & 0xff),
      1000 + seq * stepMs,
      seq,
      key,
      0,
      t,
    );
    fanout.onBinary(sender.ws, Buffer.from(frame));
  };
  const ack = (receiver: FakeSocket, sender: FakeSocket, seq: number) =>
    fanout.onBinary(
      receiver.ws,
      Buffer.from(
        encodeAck({ senderId: sender.data.id, captureTimeMs: 1000 + seq, sequence: seq }),
      ),
    );
  return { server, room, fanout, join, leave, send, ack };
}

const h264Frames = (socket: FakeSocket) => socket.frames().filter((f) => f[1] === 4);
const sequences = (socket: FakeSocket) => h264Frames(socket).map(readSequence);
const requests = (socket: FakeSocket) =>
  socket.controls().filter((c) => c.type === "keyframe_request").length;

/** A GOP pattern: key frame every `gop` frames. */
function sendGop(
  s: ReturnType<typeof setup>,
  sender: FakeSocket,
  from: number,
  to: number,
  gop = 5,
) {
  for (let seq = from; seq < to; seq++) s.send(sender, seq, seq % gop === 0);
}

test("a late joiner without acks starts on the next key frame, and the sender is asked for one", () => {
  const s = setup();
  const sender = s.join({ h264: true });
  const early = s.join({ h264: true });
  sendGop(s, sender, 0, 3);
  const late = s.join({ h264: true });
  sendGop(s, sender, 3, 8);
  expect(sequences(early)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(sequences(late)).toEqual([5, 6, 7]);
  expect(isKeyFrame(h264Frames(late)[0] as Uint8Array)).toBe(true);
  expect(requests(sender)).toBeGreaterThanOrEqual(1);
});

test("receivers without codecs=h264 (v1, acking or not, and old-protocol) get no kind 4", () => {
  const s = setup();
  const sender = s.join({ h264: true });
  const plain = s.join();
  const acking = s.join({ acks: true });
  const legacy = s.join({ legacy: true });
  sendGop(s, sender, 0, 6);
  expect(h264Frames(plain)).toEqual([]);
  expect(h264Frames(acking)).toEqual([]);
  expect(legacy.received.filter((m) => typeof m === "string" && !m.startsWith("{"))).toEqual([]);
});

test("a receiver that misses a frame gets nothing more until the next key frame, drained or not", () => {
  const s = setup();
  const sender = s.join({ h264: true });
  const slow = s.join({ h264: true });
  sendGop(s, sender, 0, 2);
  slow.reading = false;
  // Big frames fill its buffer past the socket limit: uWS skips the next one for it.
  for (let seq = 2; seq < 5; seq++) s.send(sender, seq, false, 0, 6000);
  slow.drain();
  sendGop(s, sender, 5, 13);
  // 2 and 3 queued, then its buffer passed the video limit and 4 (a delta) went by: it waits
  // for the next key frame (5), then gets every frame in order.
  expect(sequences(slow)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
  expect(slow.data.framesDropped).toBeGreaterThan(0);
});

test("missing a frame of a higher temporal layer only waits for the next lower-layer frame", () => {
  const s = setup();
  const sender = s.join({ h264: true });
  const slow = s.join({ h264: true });
  // L1T3: layers 0 2 1 2 | 0 2 1 2 ..., key frame first.
  const pattern = [0, 2, 1, 2];
  s.send(sender, 0, true, 0);
  s.send(sender, 1, false, 2);
  slow.reading = false;
  s.send(sender, 2, false, 1, 12_000); // fills its buffer past the socket limit
  s.send(sender, 3, false, 2); // skipped (a T2 frame)
  slow.drain();
  for (let seq = 4; seq < 9; seq++) s.send(sender, seq, false, pattern[seq % 4] as number);
  // 3 (T2) was missed alone: 4 (T0) heals it; no key frame needed.
  expect(sequences(slow)).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
  expect(h264Frames(slow).map(readTemporalLayer)).toEqual([0, 2, 1, 0, 2, 1, 2, 0]);
});

test("an acking receiver a little behind gets the frames it missed in order", () => {
  const s = setup(2);
  const sender = s.join({ h264: true });
  const receiver = s.join({ h264: true, acks: true });
  sendGop(s, sender, 0, 4); // gets 0, 1; window full for 2, 3
  expect(sequences(receiver)).toEqual([0, 1]);
  s.ack(receiver, sender, 1); // 2 and 3 are 33 ms behind the newest: sent in order
  expect(sequences(receiver)).toEqual([0, 1, 2, 3]);
  s.ack(receiver, sender, 3); // caught up: back on the topic
  sendGop(s, sender, 4, 6);
  expect(sequences(receiver)).toEqual([0, 1, 2, 3, 4, 5]);
});

test("an acking receiver far behind waits for the next key frame", () => {
  const s = setup(2);
  const sender = s.join({ h264: true });
  const receiver = s.join({ h264: true, acks: true });
  // 10 fps capture times: 2..7 span 500 ms, more than the relay catches up in order.
  for (let seq = 0; seq < 8; seq++) s.send(sender, seq, seq % 10 === 0, 0, 100, 100);
  s.ack(receiver, sender, 1);
  expect(sequences(receiver)).toEqual([0, 1]);
  for (let seq = 8; seq < 13; seq++) s.send(sender, seq, seq % 10 === 0, 0, 100, 100);
  expect(sequences(receiver)).toEqual([0, 1, 10, 11]);
  expect(isKeyFrame(h264Frames(receiver)[2] as Uint8Array)).toBe(true);
});

test("an acking receiver whose newest missed frame is a key frame gets it at once", () => {
  const s = setup(2);
  const sender = s.join({ h264: true });
  const receiver = s.join({ h264: true, acks: true });
  sendGop(s, sender, 0, 6); // 5 is a key frame, the newest
  s.ack(receiver, sender, 1);
  expect(sequences(receiver)).toEqual([0, 1, 5]);
});

test("an acking late joiner gets a key frame first", () => {
  const s = setup(3);
  const sender = s.join({ h264: true });
  sendGop(s, sender, 0, 2);
  const late = s.join({ h264: true, acks: true });
  sendGop(s, sender, 2, 7);
  expect(sequences(late)).toEqual([5, 6]);
  expect(requests(sender)).toBeGreaterThanOrEqual(1);
});

test("a sender that switches to H.264 moves H.264 receivers' lanes; JPEG receivers keep JPEG", () => {
  const s = setup(4);
  const sender = s.join({ h264: true });
  const h264 = s.join({ h264: true, acks: true });
  const jpeg = s.join({ acks: true });
  sendGop(s, sender, 0, 3);
  expect(sequences(h264)).toEqual([0, 1, 2]);
  expect(h264Frames(jpeg)).toEqual([]);
});

test("30 receivers joining within a second cause at most 3 key frame requests", async () => {
  const s = setup();
  const sender = s.join({ h264: true });
  s.send(sender, 0, true);
  // The sender answers each request with a key frame on its next frame, as a page does.
  let answered = 0;
  let keyFrames = 0;
  const receivers: FakeSocket[] = [];
  const start = performance.now();
  for (let i = 0; i < 60; i++) {
    // 30 fps on a clock: the joins take 29 frame intervals (under a second), then a second more.
    await Bun.sleep(Math.max(0, start + i * 33 - performance.now()));
    if (i < 30) receivers.push(s.join({ h264: true, acks: i % 2 === 0 }));
    const key = requests(sender) > answered;
    answered = requests(sender);
    if (key) keyFrames++;
    s.send(sender, i + 1, key);
  }
  expect(requests(sender)).toBeGreaterThanOrEqual(1);
  expect(requests(sender)).toBeLessThanOrEqual(3);
  expect(keyFrames).toBeLessThanOrEqual(3);
  // Every receiver got going, on a key frame.
  for (const receiver of receivers) {
    const first = h264Frames(receiver)[0];
    expect(first && isKeyFrame(first)).toBe(true);
  }
});

test("codecs_needed tells each sender what the others decode, on join and when it changes", () => {
  const s = setup();
  const needed = (socket: FakeSocket) =>
    socket
      .controls()
      .filter((c) => c.type === "codecs_needed")
      .map((c) => {
        const m = c as unknown as { jpeg: boolean; h264: boolean };
        return `${m.jpeg ? "jpeg" : "-"} ${m.h264 ? "h264" : "-"}`;
      });
  const a = s.join({ h264: true });
  const b = s.join({ h264: true, acks: true });
  expect(needed(a)).toEqual(["- -", "- h264"]);
  expect(needed(b)).toEqual(["- h264"]);
  const old = s.join({ legacy: true });
  expect(needed(a).at(-1)).toBe("jpeg h264");
  expect(needed(b).at(-1)).toBe("jpeg h264");
  expect(old.controls()).toEqual([]); // old clients get no JSON
  const v1Jpeg = s.join();
  expect(needed(v1Jpeg)).toEqual(["jpeg h264"]);
  s.leave(old);
  expect(needed(a).at(-1)).toBe("jpeg h264"); // v1Jpeg still needs JPEG: no change, no message
  expect(needed(a).length).toBe(3);
  s.leave(v1Jpeg);
  expect(needed(a).at(-1)).toBe("- h264");
});
