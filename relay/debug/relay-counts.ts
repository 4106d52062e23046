// What the relay holds, by count: the size of each of its long-lived maps and sets, the timers it
// keeps, the metric series it exports, and the process's memory and file descriptors. Served on
// GET /debug/counts (relay/http/debug-routes.ts); the leak test and `bun bench --scenario soak`
// check that every count returns to its baseline once everyone has left.

import { heapStats } from "bun:jsc";
import { readdirSync } from "node:fs";
import type { Server } from "bun";
import type { Registry } from "prom-client";
import type { RoomBus } from "../cluster/room-bus.ts";
import type { Fanout } from "../delivery/fanout.ts";
import type { RoomRegistry } from "../rooms.ts";
import type { UpgradeGate } from "../security/auth.ts";
import { stats } from "../stats.ts";

/** The relay's parts that keep state; each reports its own sizes. */
export interface CountedParts {
  rooms: RoomRegistry;
  fanout: Fanout;
  bus: RoomBus;
  gate: UpgradeGate;
  registry: Registry;
  webhooks: { queued(): number };
  server: () => Server<unknown>;
}

export interface ProcessUsage {
  rssBytes: number;
  /** JavaScriptCore's heap (bun:jsc heapStats): live bytes, capacity, objects. */
  heapBytes: number;
  heapCapacityBytes: number;
  heapExtraBytes: number;
  heapObjects: number;
  /** Entries of /proc/self/fd (-1 where there is no /proc). */
  openFds: number;
}

function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

export function processUsage(): ProcessUsage {
  const heap = heapStats();
  return {
    rssBytes: process.memoryUsage.rss(),
    heapBytes: heap.heapSize,
    heapCapacityBytes: heap.heapCapacity,
    heapExtraBytes: heap.extraMemorySize,
    heapObjects: heap.objectCount,
    openFds: openFds(),
  };
}

/** The `top` most numerous JS object types on the heap (finding what grows when something does). */
export function objectTypes(top = 40): Record<string, number> {
  const counts = Object.entries(heapStats().objectTypeCounts);
  counts.sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(counts.slice(0, top));
}

/** Series /metrics would export now, in total and of the per-room staleness histogram. */
async function metricSeries(registry: Registry): Promise<Record<string, number>> {
  let series = 0;
  const stalenessRooms = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    series += metric.values.length;
    if (metric.name !== "framecast_ack_staleness_seconds") continue;
    for (const value of metric.values) stalenessRooms.add(String(value.labels.room));
  }
  return { metricSeries: series, metricStalenessRooms: stalenessRooms.size };
}

/** Every count, flat (name → number), so a client can compare two snapshots key by key. */
export async function relayCounts(parts: CountedParts): Promise<Record<string, number>> {
  const server = parts.server();
  return {
    ...parts.rooms.counts(),
    ...parts.fanout.counts(),
    ...(parts.bus.counts?.() ?? {}),
    connectLimitAddresses: parts.gate.trackedAddresses,
    webhooksQueued: parts.webhooks.queued(),
    rejectedReasons: stats.rejected.size,
    refusedJoinReasons: stats.refusedJoins.size,
    pendingWebSockets: server.pendingWebSockets,
    pendingRequests: server.pendingRequests,
    ...(await metricSeries(parts.registry)),
  };
}
