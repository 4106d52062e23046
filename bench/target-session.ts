// One relay under test with its room already full: relay process (unless --url), load clients
// with every participant connected, and any stalled receivers already stopped.
import type { Subprocess } from "bun";
import { stopProcess, track } from "../harness/child-processes.ts";
import { httpUrlOf, type RelayProcess, startRelayProcess } from "../harness/relay-process.ts";
import { roomUrl } from "../protocol/index.ts";
import { ClientPool, type ClockCheck } from "./client-pool.ts";
import type { ParticipantSpec } from "./client-protocol.ts";
import type { Scenario } from "./scenarios.ts";

/** same-relay and cross-relay: the two sides of the cluster scenario (bench/cluster-scenario.ts). */
/**
 * Rows of the tables: the raw Bun baseline and framecast; in the cluster scenario, framecast as a
 * lone relay (one-relay) and as two relays through Redis (same-relay / cross-relay receivers).
 */
export type TargetName =
  | "baseline"
  | "framecast"
  | "one-relay"
  | "same-relay"
  | "cross-relay"
  // The codecs scenario's relay cost (bench/codecs-relay-cost.ts): framecast with kind 1 or 4.
  | "jpeg-acks"
  | "h264-acks"
  | "jpeg"
  | "h264";

export interface TargetSpec {
  name: TargetName;
  /** Relay script to start, or null to use `url` as is. */
  script: string | null;
  args: string[];
  url: string | null;
  /** Every /v1 participant joins with ?ack=1 and acks each frame (bench --acks). */
  acks?: boolean;
  /** Publishers seal frames with this room key (bench --e2ee). */
  e2eeKey?: string;
  /** Publishers send kind 4, receivers join with codecs=h264 (bench --h264). */
  h264?: boolean;
}

const STALLED_RECEIVER = new URL("./processes/stalled-receiver.ts", import.meta.url).pathname;
/** framecast's default room cap (relay --max-peers); webinar needs one more than that. */
const RELAY_DEFAULT_MAX_PEERS = 50;

/** Flags our relay needs for this scenario; user --relay-arg flags come after, so they win. */
function scenarioRelayArgs(target: TargetSpec, scenario: Scenario): string[] {
  const peers = scenario.publishers + scenario.receivers + scenario.stalledReceivers;
  if (target.name === "baseline") return [];
  const args = peers > RELAY_DEFAULT_MAX_PEERS ? [`--max-peers=${peers}`] : [];
  // These measure the relay, not its per-sender rate limits (120 fps, 8 MiB/s by default).
  if (scenario.name === "saturation" || scenario.name === "fanout-480") {
    args.push("--max-fps=0", "--max-bytes-per-second=0");
  }
  return args;
}

/** Lets every relay finish its open handlers (subscribe) before the first frame is sent. */
const SETTLE_MS = 200;

export interface TargetSession {
  target: TargetName;
  relayUrl: string;
  httpUrl: string;
  /** The relay's pid for /proc sampling; null with --url. */
  relayPid: number | null;
  clientPids: number[];
  pool: ClientPool;
  participants: ParticipantSpec[];
  clock: ClockCheck;
  relayDeath(): string | null;
  close(): Promise<void>;
}

function participantsFor(
  scenario: Scenario,
  relayUrl: string,
  room: string,
  acks: boolean,
  e2eeKey: string | undefined,
  h264: boolean,
): ParticipantSpec[] {
  const total = scenario.publishers + scenario.receivers;
  return Array.from({ length: total }, (_, index) => {
    const publishes = index < scenario.publishers;
    const name = `${publishes ? "pub" : "sub"}-${index}`;
    return {
      index,
      name,
      url: scenario.legacy
        ? `${relayUrl.replace(/\/+$/, "")}/`
        : roomUrl(relayUrl, room, { name, ack: acks, codecs: h264 ? ["h264"] : [] }),
      legacy: scenario.legacy,
      publishes,
      ack: acks && !scenario.legacy,
      // The old protocol has no header to flag encryption in: its rooms stay plain.
      e2eeKey: scenario.legacy ? undefined : e2eeKey,
      h264: h264 && !scenario.legacy,
    };
  });
}

async function startStalledReceiver(url: string): Promise<Subprocess> {
  const proc = track(
    Bun.spawn([process.execPath, STALLED_RECEIVER, url], { stdout: "pipe", stderr: "ignore" }),
  );
  const reader = proc.stdout.getReader();
  const { value } = await Promise.race([
    reader.read(),
    Bun.sleep(10_000).then(() => ({ value: undefined })),
  ]);
  reader.releaseLock();
  if (!value || !new TextDecoder().decode(value).includes("ready")) {
    await stopProcess(proc, 100);
    throw new Error("stalled receiver did not join within 10 s");
  }
  // From here on it reads nothing at all: the whole process is frozen.
  proc.kill("SIGSTOP");
  return proc;
}

export async function openSession(
  target: TargetSpec,
  scenario: Scenario,
  jpeg: Uint8Array,
  clientProcesses: number,
): Promise<TargetSession> {
  let relay: RelayProcess | null = null;
  const stalled: Subprocess[] = [];
  let pool: ClientPool | null = null;
  try {
    if (target.script) {
      relay = await startRelayProcess(target.script, [
        ...scenarioRelayArgs(target, scenario),
        ...target.args,
      ]);
    }
    const relayUrl = relay?.url ?? target.url;
    if (!relayUrl) throw new Error(`target ${target.name} has neither a script nor a url`);
    // A fresh room per session: an external relay may still hold an earlier run's peers.
    const room = `bench-${scenario.name}-${process.pid}-${Date.now().toString(36)}`;
    const participants = participantsFor(
      scenario,
      relayUrl,
      room,
      target.acks ?? false,
      target.e2eeKey,
      target.h264 ?? false,
    );
    const stalledUrl = scenario.legacy
      ? `${relayUrl.replace(/\/+$/, "")}/`
      : roomUrl(relayUrl, room, { name: "stalled" });
    for (let i = 0; i < scenario.stalledReceivers; i++) {
      stalled.push(await startStalledReceiver(stalledUrl));
    }
    pool = await ClientPool.start(participants, clientProcesses, jpeg);
    const clock = await pool.checkClocks();
    await Bun.sleep(SETTLE_MS);
    const openPool = pool;
    const openRelay = relay;
    return {
      target: target.name,
      relayUrl,
      httpUrl: httpUrlOf(relayUrl),
      relayPid: relay?.pid ?? null,
      clientPids: pool.pids,
      pool,
      participants,
      clock,
      relayDeath: () => openRelay?.death() ?? null,
      close: async () => {
        await openPool.stop();
        await Promise.all(stalled.map((p) => stopProcess(p, 0)));
        await openRelay?.stop();
      },
    };
  } catch (error) {
    await pool?.stop();
    await Promise.all(stalled.map((p) => stopProcess(p, 0)));
    await relay?.stop();
    throw error;
  }
}
