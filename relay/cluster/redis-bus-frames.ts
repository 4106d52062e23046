// RedisBus, part 3 of 3: the frame channel. A stamped frame crosses Redis once (one PUBLISH,
// whatever the number of relays and receivers behind it), only while another relay has someone
// in the room; frames from other relays are checked again before local delivery.
import { HEADER_BYTES, readSenderId, validateFrame } from "../../protocol/index.ts";
import type { Room, RoomRegistry } from "../rooms.ts";
import { clusterStats } from "./cluster-metrics.ts";
import { nodeOfPeer } from "./peer-ids.ts";
import { ignore, type RedisNodeLease } from "./redis-bus-node.ts";
import type { RedisRoomTracker } from "./redis-bus-rooms.ts";
import type { RedisLink } from "./redis-link.ts";
import type { LocalDelivery } from "./room-bus.ts";

export class RedisFrameChannel {
  constructor(
    private readonly link: RedisLink,
    private readonly lease: RedisNodeLease,
    private readonly tracker: RedisRoomTracker,
    private readonly rooms: RoomRegistry,
    private readonly maxFrameBytes: number,
    private readonly delivery: () => LocalDelivery | null,
  ) {}

  /** Hot path, called only when room.remoteNodes > 0. */
  publish(room: Room, message: Uint8Array): void {
    const tracked = this.tracker.get(room.name);
    if (!tracked || !this.link.up || this.link.backlogged()) {
      clusterStats.framesUnsent++;
      return;
    }
    clusterStats.framesSent++;
    clusterStats.bytesSent += message.byteLength;
    this.link.commands.publish(tracked.frames, message as Buffer).catch(ignore);
  }

  /** A message on the frame channel of a tracked room. */
  receive(roomName: string, message: Buffer): void {
    // Our own frames come back from Redis too: the node bits of the sender id tell.
    if (
      message.byteLength >= HEADER_BYTES &&
      nodeOfPeer(readSenderId(message)) === this.lease.nodeId
    )
      return;
    if (validateFrame(message, this.maxFrameBytes) !== null) {
      clusterStats.malformed++;
      return;
    }
    const room = this.rooms.rooms.get(roomName);
    if (!room) return;
    // A sender no roster announced yet: dropped, as it may be a screen share that only
    // receivers taking shares may get (its roster precedes its frames on the same link).
    if (!this.tracker.get(roomName)?.remote.has(readSenderId(message))) {
      clusterStats.framesUnknownSender++;
      return;
    }
    clusterStats.framesReceived++;
    clusterStats.bytesReceived += message.byteLength;
    this.delivery()?.frame(room, message);
  }
}
