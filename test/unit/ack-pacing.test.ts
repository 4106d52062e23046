// Receiver-paced delivery (relay/delivery/pacing/ack-pacing.ts, paced-sender.ts) on fakes: the window,
// parking, catch-up with the newest frame, acks that name nothing, and a receiver whose buffer
// overflows while on the sender's topic.

import { beforeEach, expect, test } from "bun:test";
import { encodeAck, encodeVideoFrame, readSequence, stampSenderId } from "../../protocol/index.ts";
import { socketBackpressureLimit } from "../../relay/delivery/audio-fanout.ts";
import { AckPacing } from "../../relay/delivery/pacing/ack-pacing.ts";
import { type Room, RoomRegistry } from "../../relay/rooms.ts";
import { FakeServer, FakeSocket } from "../support/fake-bun-sockets.ts";

const LIMIT = 10_000;
let server: FakeServer;
let rooms: RoomRegistry;
let pacing: AckPacing;
let room: Room;

beforeEach(() => {
  // As in relay/sockets.ts: sockets take the video limit plus the audio headroom.
  server = new FakeServer(socketBackpressureLimit(LIMIT));
  rooms = new RoomRegistry(10, 10);
  pacing = new AckPacing({ ackWindow: 2, backpressureLimitBytes: LIMIT });
  pacing.attach(server.asServer());
  room = rooms.roomFor("room") as Room;
});

function join(acks: boolean): FakeSocket {
  const socket = new FakeSocket(server, { acks });
  rooms.add(socket.ws, room);
  pacing.join(socket.ws);
  return socket;
}

/** A stamped frame from `sender` with sequence `seq`, as the fan-out hands it to pacing. */
function send(sender: FakeSocket, seq: number, bytes = 100): void {
  const message = Buffer.from(encodeVideoFrame(new Uint8Array(bytes).fill(7), 1000 + seq, seq));
  stampSenderId(message, sender.data.id);
  pacing.onFrame(room, sender.ws, message);
}

function ack(receiver: FakeSocket, sender: FakeSocket, seq: number) {
  return pacing.onAck(
    receiver.ws,
    Buffer.from(encodeAck({ senderId: sender.data.id, captureTimeMs: 1000 + seq, sequence: seq })),
  );
}

const sequences = (socket: FakeSocket) => socket.frames().map(readSequence);

test("a receiver gets `window` frames, then waits; its ack brings the newest frame at once", () => {
  const sender = join(false);
  const receiver = join(true);
  for (let seq = 0; seq < 6; seq++) send(sender, seq);
  expect(sequences(receiver)).toEqual([0, 1]);
  expect(ack(receiver, sender, 0)).toBeNull();
  // Frame 0 acked: one slot free, filled with the newest frame (5), not the backlog (2-4).
  expect(sequences(receiver)).toEqual([0, 1, 5]);
  expect(ack(receiver, sender, 5)).toBeNull(); // cumulative: 1 and 5 acked, back on the topic
  send(sender, 6);
  send(sender, 7);
  send(sender, 8);
  expect(sequences(receiver)).toEqual([0, 1, 5, 6, 7]);
  expect(pacing.ackers(room)).toBe(1);
});

test("acks for frames never sent, malformed acks and acks without ?ack=1 are told apart", () => {
  const sender = join(false);
  const receiver = join(true);
  const plain = join(false);
  send(sender, 0);
  expect(ack(receiver, sender, 999)).toBeNull(); // names nothing unacked: ignored, not an error
  expect(sequences(receiver)).toEqual([0]);
  expect(pacing.onAck(receiver.ws, Buffer.alloc(21))).toBe("malformed");
  expect(ack(plain, sender, 0)).toBe("not_enabled");
});

test("a receiver over the video limit leaves the topic (the rest is for sound) and catches up on its next ack", () => {
  const sender = join(false);
  const receiver = join(true);
  receiver.reading = false;
  send(sender, 0, 6000);
  send(sender, 1, 6000);
  expect(sequences(receiver)).toEqual([0, 1]);
  // It acks frame 0 but its buffer is still past the video limit: frame 2 waits for it.
  expect(ack(receiver, sender, 0)).toBeNull();
  send(sender, 2, 6000);
  expect(sequences(receiver)).toEqual([0, 1]);
  const dropped = receiver.data.framesDropped;
  receiver.drain();
  expect(ack(receiver, sender, 1)).toBeNull();
  // Reading again: it gets the newest frame, and nothing more is charged.
  expect(sequences(receiver).at(-1)).toBe(2);
  expect(receiver.data.framesDropped).toBe(dropped);
});

test("a sender that leaves takes its topic along; a receiver that leaves frees its lanes", () => {
  const sender = join(false);
  const receiver = join(true);
  send(sender, 0);
  expect(server.topics.get(`s:room:${sender.data.id}`)?.size).toBe(1);
  pacing.leave(sender.ws);
  expect(server.topics.get(`s:room:${sender.data.id}`)?.size ?? 0).toBe(0);
  pacing.leave(receiver.ws);
  expect(pacing.ackers(room)).toBe(0);
});
