// Prometheus metrics. The hot path bumps plain numbers in `stats` (stats.ts); prom-client reads them
// only when /metrics is scraped, so a frame costs a few additions and no label lookups.
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { framesDroppedFor } from "./peer.ts";
import type { RoomRegistry } from "./rooms.ts";
import { stats } from "./stats.ts";

/** A counter whose value is read from a plain number at scrape time (nothing per frame). */
export function totalCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => number,
): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function reasonCounter(
  registry: Registry,
  name: string,
  help: string,
  source: Map<string, number>,
): void {
  new Counter({
    name,
    help,
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of source) this.inc({ reason }, count);
    },
  });
}

const EVENT_LOOP_SAMPLE_MS = 1000;

export function createMetricsRegistry(rooms: RoomRegistry): Registry {
  const registry = new Registry();
  collectDefaultMetrics({
    register: registry,
    prefix: "framecast_",
    // prom-client samples event-loop lag with a 10 ms timer by default: 100 wake-ups a second
    // cost an idle relay 3 ms of CPU per second (+40% over a bare relay in the 4-person meeting
    // bench); at 250 ms still 0.45 ms/s more than at 1 s. A stall long enough to matter to a
    // 30 fps call still shows in a sample a second.
    eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
  });
  totalCounter(
    registry,
    "framecast_frames_in_total",
    "Valid frames received from senders",
    () => stats.framesIn,
  );
  totalCounter(
    registry,
    "framecast_bytes_in_total",
    "Bytes of valid frames received",
    () => stats.bytesIn,
  );
  totalCounter(
    registry,
    "framecast_frames_out_total",
    "Frame deliveries to receivers",
    () => stats.framesOut,
  );
  totalCounter(
    registry,
    "framecast_bytes_out_total",
    "Bytes of frame deliveries to receivers",
    () => stats.bytesOut,
  );
  totalCounter(
    registry,
    "framecast_frames_dropped_total",
    "Deliveries dropped because the receiver was over the backpressure limit",
    () => {
      // Plus what parked receivers are missing now (counted for good when they come back).
      let parked = 0;
      for (const ws of rooms.allPeers())
        parked += framesDroppedFor(ws.data) - ws.data.framesDropped;
      return stats.framesDropped + parked;
    },
  );
  totalCounter(
    registry,
    "framecast_audio_packets_in_total",
    "Valid audio packets received from senders",
    () => stats.audioPacketsIn,
  );
  totalCounter(
    registry,
    "framecast_audio_bytes_in_total",
    "Bytes of valid audio packets received",
    () => stats.audioBytesIn,
  );
  totalCounter(
    registry,
    "framecast_audio_packets_out_total",
    "Audio packet deliveries to receivers",
    () => stats.audioPacketsOut,
  );
  totalCounter(
    registry,
    "framecast_audio_bytes_out_total",
    "Bytes of audio packet deliveries to receivers",
    () => stats.audioBytesOut,
  );
  totalCounter(
    registry,
    "framecast_audio_packets_dropped_total",
    "Audio deliveries dropped: the receiver's buffer was over the limit plus the audio headroom",
    () => stats.audioPacketsDropped,
  );
  new Counter({
    name: "framecast_conversions_total",
    help: "Frames converted between wire formats (once per frame and format, never per receiver)",
    labelNames: ["to"],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ to: "base64" }, stats.conversionsToLegacy);
      this.inc({ to: "binary" }, stats.conversionsToBinary);
    },
  });
  totalCounter(
    registry,
    "framecast_e2ee_frames_not_converted_total",
    "Deliveries not made to old-protocol receivers because the frame was end-to-end encrypted",
    () => stats.e2eeNotConverted,
  );
  reasonCounter(
    registry,
    "framecast_rejected_messages_total",
    "Messages refused, by reason",
    stats.rejected,
  );
  reasonCounter(
    registry,
    "framecast_refused_joins_total",
    "Joins refused, by reason",
    stats.refusedJoins,
  );
  totalCounter(
    registry,
    "framecast_connections_opened_total",
    "WebSocket connections admitted",
    () => stats.connectionsOpened,
  );
  totalCounter(
    registry,
    "framecast_connections_closed_total",
    "WebSocket connections closed",
    () => stats.connectionsClosed,
  );
  new Gauge({
    name: "framecast_rooms",
    help: "Rooms with at least one participant",
    registers: [registry],
    collect() {
      this.set(rooms.rooms.size);
    },
  });
  new Gauge({
    name: "framecast_peers",
    help: "Connected participants, by protocol",
    labelNames: ["protocol"],
    registers: [registry],
    collect() {
      let binary = 0;
      let legacy = 0;
      for (const room of rooms.rooms.values()) {
        binary += room.binaryPeers;
        legacy += room.legacyPeers;
      }
      this.set({ protocol: "v1" }, binary);
      this.set({ protocol: "legacy" }, legacy);
    },
  });
  new Gauge({
    name: "framecast_peer_frames_dropped",
    help: "Frames dropped for each connected receiver (backpressure), since it joined",
    labelNames: ["room", "peer_id", "peer_name"],
    registers: [registry],
    collect() {
      this.reset();
      for (const ws of rooms.allPeers()) {
        const peer = ws.data;
        this.set(
          { room: peer.room?.name ?? "", peer_id: String(peer.id), peer_name: peer.name },
          framesDroppedFor(peer),
        );
      }
    },
  });
  new Gauge({
    name: "framecast_peer_buffered_bytes",
    help: "Bytes queued in the relay for each connected receiver",
    labelNames: ["room", "peer_id"],
    registers: [registry],
    collect() {
      this.reset();
      for (const ws of rooms.allPeers()) {
        this.set(
          { room: ws.data.room?.name ?? "", peer_id: String(ws.data.id) },
          ws.getBufferedAmount(),
        );
      }
    },
  });
  return registry;
}
