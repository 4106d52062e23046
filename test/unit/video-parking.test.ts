// Video yields to audio (relay/delivery/topic-publisher.ts, video-parking.ts) on fake sockets: receivers past the
// video limit leave their format's video topic, come back once drained to half, and what they
// missed is counted as drops; acking receivers and the sender are left alone.
import { expect, test } from "bun:test";
import { socketBackpressureLimit } from "../../relay/delivery/audio-fanout.ts";
import { TopicPublisher } from "../../relay/delivery/topic-publisher.ts";
import { VideoParking } from "../../relay/delivery/video-parking.ts";
import { framesDroppedFor, type PeerSocket } from "../../relay/peer.ts";
import { Room } from "../../relay/rooms.ts";

interface FakeSocket {
  data: PeerSocket["data"];
  buffered: number;
  topics: Set<string>;
}

function fake(
  room: Room,
  id: number,
  options: { legacy?: boolean; acks?: boolean } = {},
): FakeSocket {
  const socket: FakeSocket = {
    buffered: 0,
    topics: new Set([options.legacy ? room.legacyTopic : room.binaryTopic]),
    data: {
      id,
      legacy: options.legacy ?? false,
      acks: options.acks ?? false,
      videoParked: false,
      parkedAtVideoFrame: 0,
      framesDropped: 0,
      room,
    } as PeerSocket["data"],
  };
  const ws = Object.assign(socket, {
    getBufferedAmount: () => socket.buffered,
    subscribe: (topic: string) => socket.topics.add(topic),
    unsubscribe: (topic: string) => socket.topics.delete(topic),
  });
  room.peers.set(id, ws as unknown as PeerSocket);
  return socket;
}

const LIMIT = 1000;

test("over the limit: off the video topic; drained to half: back, with the missed frames as drops", () => {
  const room = new Room("r");
  const parking = new VideoParking(LIMIT);
  const videoTopics = new TopicPublisher<PeerSocket>(socketBackpressureLimit(LIMIT), LIMIT);
  const sender = fake(room, 1);
  const slow = fake(room, 2);
  const fast = fake(room, 3);
  const acking = fake(room, 4, { acks: true });
  const old = fake(room, 5, { legacy: true });
  slow.buffered = LIMIT + 1;
  acking.buffered = LIMIT * 5; // paced by acks instead (relay/delivery/pacing/paced-sender.ts)
  old.buffered = LIMIT + 1;
  sender.buffered = LIMIT * 5;
  room.videoFrames = 10;
  videoTopics.yieldToAudio(room.binaryReceivers, sender as unknown as PeerSocket);
  expect(slow.data.videoParked).toBe(true);
  expect(slow.topics.has(room.binaryTopic)).toBe(false);
  expect([fast, acking, sender, old].map((s) => s.data.videoParked)).toEqual([
    false,
    false,
    false,
    false,
  ]);
  expect(room.videoParked).toBe(1);
  // The old-protocol receiver is parked by its own format's publishes.
  videoTopics.yieldToAudio(room.legacyReceivers, null);
  expect(old.topics.has(room.legacyTopic)).toBe(false);
  expect(room.legacyParked).toBe(1);

  room.videoFrames = 25; // 15 frames went by
  expect(framesDroppedFor(slow.data)).toBe(15);
  slow.buffered = LIMIT / 2 + 1;
  parking.onDrain(slow as unknown as PeerSocket);
  expect(slow.data.videoParked).toBe(true); // not drained enough yet
  slow.buffered = LIMIT / 2;
  parking.onDrain(slow as unknown as PeerSocket);
  expect(slow.data.videoParked).toBe(false);
  expect(slow.topics.has(room.binaryTopic)).toBe(true);
  expect(slow.data.framesDropped).toBe(15);
  expect(room.videoParked).toBe(0);
});
