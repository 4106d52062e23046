// The churning room of `bun bench --scenario soak` (bench/soak-scenario.ts): participants of
// every kind (bench/soak-peer.ts) spread over the relays; every churnEveryMs one of them
// announces its leave, leaves 2 s later, and a newcomer of the same kind joins at once. Started
// by the bench over IPC; never run by hand.

import { makeJpegFrame } from "../../harness/jpeg-frames.ts";
import { FrameSealer, importRoomKey } from "../../protocol/index.ts";
import { nowMs } from "../client-protocol.ts";
import { SoakPeer, SoakTally } from "../soak-peer.ts";
import type { SoakChildMessage, SoakKind, SoakParentMessage, SoakSetup } from "../soak-protocol.ts";

const LEAVE_NOTICE_MS = 2000;
const AUDIO_INTERVAL_MS = 20;

const tally = new SoakTally();
let peers: SoakPeer[] = [];
let nextIndex = 1;
let running = false;
const timers: ReturnType<typeof setInterval>[] = [];

function reply(message: SoakChildMessage): void {
  process.send?.(message);
}

async function start(setup: SoakSetup): Promise<void> {
  const frames = {
    full: makeJpegFrame(setup.frameBytes),
    small: makeJpegFrame(setup.smallLayerBytes),
  };
  const sealer = new FrameSealer(await importRoomKey(setup.e2eeKey));
  const join = async (kind: SoakKind): Promise<SoakPeer> => {
    const index = nextIndex++;
    const relay = setup.relays[index % setup.relays.length] as string;
    const peer = new SoakPeer({ kind, index, relay, room: setup.room, frames, sealer, tally });
    peers.push(peer);
    await peer.ready();
    return peer;
  };
  // Staggered joins, as people arrive.
  for (const kind of setup.kinds) {
    await join(kind);
    await Bun.sleep(100);
  }
  running = true;

  timers.push(
    setInterval(() => {
      const now = nowMs();
      for (const sender of peers) {
        if (!sender.role.publishes || sender.gone) continue;
        let expected = 0;
        for (const receiver of peers) if (receiver.getsFrom(sender, now)) expected++;
        tally.expect(now, expected);
        sender.sendFrame(now);
      }
    }, 1000 / setup.fps),
  );
  timers.push(
    setInterval(() => {
      for (const peer of peers) if (peer.role.publishes && peer.role.audio) peer.sendAudio();
    }, AUDIO_INTERVAL_MS),
  );
  timers.push(
    setInterval(() => {
      if (!running) return;
      // A participant the relay closed on us is replaced too (counted as unexpected).
      for (const dead of peers.filter((p) => p.gone && p.leavingAt === Number.POSITIVE_INFINITY)) {
        peers = peers.filter((p) => p !== dead);
        void join(dead.setup.kind).catch((error: unknown) => {
          process.stderr.write(`soak: a rejoin failed: ${String(error)}\n`);
        });
      }
      const candidates = peers.filter((p) => !p.gone && p.leavingAt === Number.POSITIVE_INFINITY);
      const leaver = candidates[Math.floor(Math.random() * candidates.length)];
      if (!leaver) return;
      void leaver.leave(LEAVE_NOTICE_MS).then(() => {
        peers = peers.filter((p) => p !== leaver);
      });
      void join(leaver.setup.kind).catch((error: unknown) => {
        // A close before the welcome counts as unexpected (the scenario then fails); the next
        // churn tick replaces it.
        process.stderr.write(`soak: a join failed: ${String(error)}\n`);
      });
    }, setup.churnEveryMs),
  );
}

async function stop(): Promise<void> {
  running = false;
  for (const timer of timers) clearInterval(timer);
  await Promise.all(peers.map((peer) => (peer.gone ? Promise.resolve() : peer.leave(0))));
  peers = [];
}

process.on("message", (message: SoakParentMessage) => {
  const handle = async () => {
    if (message.type === "setup") {
      await start(message);
      reply({ type: "ready" });
    } else if (message.type === "sample") {
      // Frames captured in the last 2 s may still be on their way.
      reply({ type: "sample", sample: tally.take(nowMs() - 2000) });
    } else if (message.type === "stop") {
      await stop();
      reply({ type: "stopped" });
    }
  };
  handle().catch((error: unknown) => reply({ type: "fatal", message: String(error) }));
});
process.on("disconnect", () => process.exit(0));
