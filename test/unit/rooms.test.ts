// The room registry (relay/rooms.ts) and the lone relay's bus (relay/cluster/local-bus.ts).
import { expect, test } from "bun:test";
import { LocalBus } from "../../relay/cluster/local-bus.ts";
import type { RoomBus } from "../../relay/cluster/room-bus.ts";
import { type Room, RoomRegistry } from "../../relay/rooms.ts";
import { FakeServer, FakeSocket } from "../support/fake-bun-sockets.ts";

const server = new FakeServer(1 << 20);

test("rooms are made on demand, counted per format, and forgotten when the last one leaves", () => {
  const rooms = new RoomRegistry(10, 10);
  const room = rooms.roomFor("a") as Room;
  const v1 = new FakeSocket(server);
  const old = new FakeSocket(server, { legacy: true });
  rooms.add(v1.ws, room);
  rooms.add(old.ws, room);
  expect([room.binaryPeers, room.legacyPeers, room.size]).toEqual([1, 1, 2]);
  expect(rooms.roomFor("a")).toBe(room);
  expect(rooms.remove(v1.ws)).toBe(true);
  expect(rooms.remove(v1.ws)).toBe(false); // already gone
  expect(rooms.rooms.has("a")).toBe(true);
  rooms.remove(old.ws);
  expect(rooms.rooms.has("a")).toBe(false);
});

test("a full room and a relay at its room limit refuse by name", () => {
  const rooms = new RoomRegistry(1, 2);
  const room = rooms.roomFor("a") as Room;
  for (let i = 0; i < 2; i++) rooms.add(new FakeSocket(server).ws, room);
  expect(rooms.roomFor("a")).toBe("room_full");
  expect(rooms.roomFor("b")).toBe("too_many_rooms");
});

test("a room made for a join that never happened is dropped", () => {
  const rooms = new RoomRegistry(10, 10);
  const room = rooms.roomFor("ghost") as Room;
  rooms.forgetIfEmpty(room);
  expect(rooms.rooms.has("ghost")).toBe(false);
});

test("the local bus hands out ids that are never 0 and shares nothing", async () => {
  const bus: RoomBus = new LocalBus();
  const ids = new Set(Array.from({ length: 1000 }, () => bus.allocatePeerId()));
  expect(ids.size).toBe(1000);
  expect(ids.has(0)).toBe(false);
  expect(bus.remotePeers("a")).toEqual([]);
  await bus.prepareRoom("a");
});
