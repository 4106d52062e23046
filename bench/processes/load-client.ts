// A load-generator process: holds some of a scenario's participants, publishes on a drift-free
// schedule and reports what its receivers got. Started by bench/client-pool.ts over IPC; never
// run by hand. Lives apart from the relay so the relay's CPU figures are the relay's alone.
import type {
  ChildMessage,
  ParentMessage,
  PhaseMessage,
  PhaseReport,
  SetupMessage,
} from "../client-protocol.ts";
import { nowMs } from "../client-protocol.ts";
import { lastFrameReceivedAt, Participant, type PhaseTally } from "../participant.ts";

const LOOP_LAG_INTERVAL_MS = 10;

let participants: Participant[] = [];
let publisherCount = 1;
const disconnects: string[] = [];

function reply(message: ChildMessage): void {
  process.send?.(message);
}

async function setup(message: SetupMessage): Promise<void> {
  const jpeg = new Uint8Array(Buffer.from(message.jpegBase64, "base64"));
  publisherCount = message.publisherCount;
  participants = message.participants.map(
    (spec) => new Participant(spec, jpeg, (who) => disconnects.push(who.closedReason ?? "closed")),
  );
  await Promise.all(participants.map((p) => p.ready()));
  reply({ type: "ready" });
}

/** Sends frame k of a publisher at startAt + its phase offset + k / fps, never drifting. */
function publishOnSchedule(
  publisher: Participant,
  phase: PhaseMessage,
  lateness: number[],
  onFrame: () => void,
): Promise<number> {
  const intervalMs = 1000 / phase.fps;
  const offsetMs = (publisher.spec.index * intervalMs) / publisherCount;
  const endAt = phase.startAt + phase.durationMs;
  let seq = 0;
  return new Promise((resolve) => {
    const tick = () => {
      // Catch up without skipping if a timer fired late: the schedule, not the timer, decides.
      let due = phase.startAt + offsetMs + seq * intervalMs;
      while (due < endAt && due <= nowMs()) {
        lateness.push(nowMs() - due);
        publisher.send(seq);
        onFrame();
        seq++;
        due = phase.startAt + offsetMs + seq * intervalMs;
      }
      if (due >= endAt) resolve(seq);
      else setTimeout(tick, Math.max(0, due - nowMs()));
    };
    setTimeout(tick, Math.max(0, phase.startAt + offsetMs - nowMs()));
  });
}

async function runPhase(phase: PhaseMessage): Promise<void> {
  const tally: PhaseTally = {
    startAt: phase.startAt,
    received: new Map(),
    bytesReceived: 0,
    latenciesMs: [],
    malformed: 0,
    echoed: 0,
  };
  for (const p of participants) p.startPhase(tally);
  disconnects.length = 0;

  const loopLagMs: number[] = [];
  let expectedTick = nowMs() + LOOP_LAG_INTERVAL_MS;
  const lagTimer = setInterval(() => {
    const now = nowMs();
    loopLagMs.push(Math.max(0, now - expectedTick));
    expectedTick = now + LOOP_LAG_INTERVAL_MS;
  }, LOOP_LAG_INTERVAL_MS);

  const sendLatenessMs: number[] = [];
  let maxBufferedBytes = 0;
  const publishers = participants.filter((p) => p.spec.publishes);
  const sentCounts = await Promise.all(
    publishers.map((p) =>
      publishOnSchedule(p, phase, sendLatenessMs, () => {
        maxBufferedBytes = Math.max(maxBufferedBytes, p.bufferedAmount);
      }),
    ),
  );
  const drainUntil = phase.startAt + phase.durationMs + phase.drainMs;
  await Bun.sleep(Math.max(0, drainUntil - nowMs()));
  clearInterval(lagTimer);
  for (const p of participants) p.endPhase();

  const report: PhaseReport = {
    phase: phase.phase,
    sent: publishers.map((p, i) => [p.spec.index, sentCounts[i] ?? 0]),
    received: participants.map((p) => [p.spec.index, tally.received.get(p.spec.index) ?? 0]),
    bytesReceived: tally.bytesReceived,
    latenciesMs: tally.latenciesMs,
    sendLatenessMs,
    loopLagMs,
    maxBufferedBytes,
    malformed: tally.malformed,
    echoed: tally.echoed,
    disconnects: [...disconnects],
  };
  reply({ type: "phase-result", report });
}

function fail(error: unknown): void {
  reply({ type: "fatal", message: error instanceof Error ? error.message : String(error) });
}

process.on("message", (message: ParentMessage) => {
  switch (message.type) {
    case "setup":
      setup(message).catch(fail);
      break;
    case "phase":
      runPhase(message).catch(fail);
      break;
    case "clock":
      reply({ type: "clock", now: nowMs() });
      break;
    case "quiet":
      reply({ type: "quiet", lastFrameAt: lastFrameReceivedAt() });
      break;
    case "stop":
      for (const p of participants) p.close();
      setTimeout(() => process.exit(0), 100);
      break;
  }
});

// If the bench dies without stopping us, don't linger as an orphan holding sockets open.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(1);
}, 1000).unref();
process.on("disconnect", () => process.exit(1));
