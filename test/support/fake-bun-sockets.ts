// Small fakes of Bun's server and server-side sockets for unit tests of the relay's delivery
// logic, as hono's adapter/bun websocket.test.ts and centrifuge's writer_test.go fake theirs:
// topics with subscribers, a send buffer per socket, and publish statuses with Bun's meaning
// (per receiver: dropped when its buffer is already over the limit, -1 when the bytes had to
// queue, their length when they went straight out; one status for all, the worst).
import type { Server } from "bun";
import { LocalBus } from "../../relay/cluster/local-bus.ts";
import { socketBackpressureLimit } from "../../relay/delivery/audio-fanout.ts";
import { Fanout } from "../../relay/delivery/fanout.ts";
import { newPeer, type Peer, type PeerSocket } from "../../relay/peer.ts";
import { type Room, RoomRegistry } from "../../relay/rooms.ts";

export class FakeServer {
  readonly topics = new Map<string, Set<FakeSocket>>();

  constructor(readonly backpressureLimit: number) {}

  /** As Bun's server.publish: every subscriber. */
  publish(topic: string, data: string | Uint8Array): number {
    return this.deliver(topic, data, null);
  }

  deliver(topic: string, data: string | Uint8Array, except: FakeSocket | null): number {
    let worst = Number.POSITIVE_INFINITY;
    for (const socket of this.topics.get(topic) ?? []) {
      if (socket === except) continue;
      worst = Math.min(worst, rank(socket.send(data)));
    }
    return worst === Number.POSITIVE_INFINITY ? 0 : unrank(worst, data);
  }

  asServer(): Server<unknown> {
    return this as unknown as Server<unknown>;
  }
}

// Statuses ordered worst first: dropped (0) < queued (-1) < sent (length).
const rank = (status: number) => (status === 0 ? 0 : status < 0 ? 1 : 2);
const unrank = (rankValue: number, data: string | Uint8Array) =>
  rankValue === 0
    ? 0
    : rankValue === 1
      ? -1
      : typeof data === "string"
        ? data.length
        : data.byteLength;

let nextId = 1;

export class FakeSocket {
  readonly data: Peer;
  /** Messages that reached this socket, in order (what its reader will see). */
  readonly received: (string | Uint8Array)[] = [];
  /** Bytes queued for it; only grows while `reading` is false. */
  buffered = 0;
  reading = true;
  readonly subscriptions = new Set<string>();
  bufferedReads = 0;
  readyState = 1;
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(
    private readonly server: FakeServer,
    fields: Partial<Peer> = {},
  ) {
    const id = nextId++;
    this.data = { ...newPeer(id, `peer-${id}`, false, "room"), ...fields };
  }

  get ws(): PeerSocket {
    return this as unknown as PeerSocket;
  }

  send(data: string | Uint8Array): number {
    if (this.buffered > this.server.backpressureLimit) return 0;
    this.received.push(data);
    if (this.reading) return typeof data === "string" ? data.length : data.byteLength;
    this.buffered += typeof data === "string" ? data.length : data.byteLength;
    return -1;
  }

  publish(topic: string, data: string | Uint8Array): number {
    return this.server.deliver(topic, data, this);
  }

  subscribe(topic: string): void {
    this.subscriptions.add(topic);
    let set = this.server.topics.get(topic);
    if (!set) {
      set = new Set();
      this.server.topics.set(topic, set);
    }
    set.add(this);
  }

  unsubscribe(topic: string): void {
    this.subscriptions.delete(topic);
    this.server.topics.get(topic)?.delete(this);
  }

  getBufferedAmount(): number {
    this.bufferedReads++;
    return this.buffered;
  }

  /** The reader catches up: its buffer empties and it reads as it comes from now on. */
  drain(): void {
    this.buffered = 0;
    this.reading = true;
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  /** Binary messages received, as Uint8Arrays. */
  frames(): Uint8Array[] {
    return this.received.filter((m): m is Uint8Array => typeof m !== "string");
  }

  controls(): { type: string; code?: string }[] {
    return this.received
      .filter((m): m is string => typeof m === "string" && m.startsWith("{"))
      .map((m) => JSON.parse(m) as { type: string; code?: string });
  }
}

/**
 * The relay's Fanout on a fake server with one room, and `join` to admit a fake peer as
 * relay/sockets.ts does (on the room topic of its format, and with `audio` on the audio topic).
 * Sockets take the video limit plus the audio headroom, as in the relay.
 */
export function fakeRoom(videoLimit: number) {
  const server = new FakeServer(socketBackpressureLimit(videoLimit));
  const rooms = new RoomRegistry(10, 10);
  const fanout = new Fanout(
    { maxFrameBytes: 100_000, backpressureLimitBytes: videoLimit, ackWindow: 2 },
    new LocalBus(),
  );
  fanout.attach(server.asServer());
  const room = rooms.roomFor("room") as Room;
  const join = (legacy = false, audio = false): FakeSocket => {
    const socket = new FakeSocket(server, { legacy, audio });
    rooms.add(socket.ws, room);
    socket.subscribe(legacy ? room.legacyTopic : room.binaryTopic);
    if (audio) socket.subscribe(room.audioTopic);
    return socket;
  };
  return { fanout, room, join, server };
}
