// Cluster figures for /metrics: plain numbers bumped where things happen, read by prom-client
// only when /metrics is scraped (as relay/metrics.ts does for the hot path).
import { Gauge, type Registry } from "prom-client";
import { totalCounter } from "../metrics.ts";

export const clusterStats = {
  /** 1 while both Redis connections are ready, else 0. */
  linkUp: 0,
  /** This relay's node id (the high bits of its peers' ids); 0 until claimed. */
  nodeId: 0,
  /** Frames published to the bus (once per frame, however many relays receive it). */
  framesSent: 0,
  bytesSent: 0,
  /** Frames that should have crossed but did not: link down, or too much queued to Redis. */
  framesUnsent: 0,
  /** Frames from other relays handed to this relay's local receivers. */
  framesReceived: 0,
  bytesReceived: 0,
  /** Bus messages refused: not a valid frame or roster. */
  malformed: 0,
  /** Frames from a sender no roster announced (yet): dropped, see redis-bus-frames.ts. */
  framesUnknownSender: 0,
  /** Relays declared dead after their heartbeat expired. */
  nodesExpired: 0,
  /** Participants on other relays in rooms that have local participants. */
  remotePeers: 0,
};

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export function registerClusterMetrics(registry: Registry): void {
  gauge(
    registry,
    "framecast_cluster_link_up",
    "1 while the relay's Redis link is up",
    () => clusterStats.linkUp,
  );
  gauge(registry, "framecast_cluster_node_id", "This relay's node id", () => clusterStats.nodeId);
  gauge(
    registry,
    "framecast_cluster_remote_peers",
    "Participants on other relays in rooms with local participants",
    () => clusterStats.remotePeers,
  );
  totalCounter(
    registry,
    "framecast_cluster_frames_sent_total",
    "Frames published to the Redis bus (once per frame)",
    () => clusterStats.framesSent,
  );
  totalCounter(
    registry,
    "framecast_cluster_bytes_sent_total",
    "Bytes of frames published to the Redis bus",
    () => clusterStats.bytesSent,
  );
  totalCounter(
    registry,
    "framecast_cluster_frames_unsent_total",
    "Frames other relays wanted but did not get: link down or Redis backlog over the limit",
    () => clusterStats.framesUnsent,
  );
  totalCounter(
    registry,
    "framecast_cluster_frames_received_total",
    "Frames received from other relays through the bus",
    () => clusterStats.framesReceived,
  );
  totalCounter(
    registry,
    "framecast_cluster_bytes_received_total",
    "Bytes of frames received from other relays",
    () => clusterStats.bytesReceived,
  );
  totalCounter(
    registry,
    "framecast_cluster_malformed_total",
    "Bus messages refused as malformed",
    () => clusterStats.malformed,
  );
  totalCounter(
    registry,
    "framecast_cluster_frames_unknown_sender_total",
    "Frames from other relays dropped: their sender is in no roster (yet)",
    () => clusterStats.framesUnknownSender,
  );
  totalCounter(
    registry,
    "framecast_cluster_nodes_expired_total",
    "Relays declared dead after their heartbeat expired",
    () => clusterStats.nodesExpired,
  );
}
