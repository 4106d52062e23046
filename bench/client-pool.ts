// Parent side of the load generators: starts N load-client processes, splits participants
// among them, runs phases in lockstep and merges their reports.
import type { Subprocess } from "bun";
import { stopProcess, track } from "../harness/child-processes.ts";
import type {
  ChildMessage,
  ParentMessage,
  ParticipantSpec,
  PhaseMessage,
  PhaseReport,
} from "./client-protocol.ts";
import { nowMs } from "./client-protocol.ts";

const LOAD_CLIENT = new URL("./processes/load-client.ts", import.meta.url).pathname;
const SETUP_TIMEOUT_MS = 20_000;

class LoadClient {
  readonly proc: Subprocess;
  private waiting: { type: string; resolve: (m: ChildMessage) => void }[] = [];
  private failure: Error | null = null;

  constructor() {
    this.proc = track(
      Bun.spawn([process.execPath, LOAD_CLIENT], {
        stdio: ["ignore", "inherit", "inherit"],
        ipc: (message: ChildMessage) => this.receive(message),
        serialization: "json",
      }),
    );
    void this.proc.exited.then((code) => {
      this.failure ??= new Error(`load client exited early (code ${code})`);
    });
  }

  private receive(message: ChildMessage): void {
    if (message.type === "fatal") {
      this.failure = new Error(`load client: ${message.message}`);
      return;
    }
    const index = this.waiting.findIndex((w) => w.type === message.type);
    const [waiter] = index >= 0 ? this.waiting.splice(index, 1) : [];
    waiter?.resolve(message);
  }

  /** Sends a message and waits for the reply of `replyType`, failing fast if the child fails. */
  request(message: ParentMessage, replyType: ChildMessage["type"], timeoutMs: number) {
    return new Promise<ChildMessage>((resolve, reject) => {
      const started = Date.now();
      const check = setInterval(() => {
        if (this.failure) reject(this.failure);
        else if (Date.now() - started > timeoutMs) {
          reject(new Error(`load client: no ${replyType} reply within ${timeoutMs} ms`));
        } else return;
        clearInterval(check);
      }, 50);
      this.waiting.push({
        type: replyType,
        resolve: (m) => {
          clearInterval(check);
          resolve(m);
        },
      });
      this.proc.send(message);
    });
  }
}

export interface ClockCheck {
  /** Largest |offset| between the bench's clock and a load client's, best of 5 round trips. */
  maxOffsetMs: number;
}

export class ClientPool {
  private readonly clients: LoadClient[];

  private constructor(count: number) {
    this.clients = Array.from({ length: count }, () => new LoadClient());
  }

  /** Starts `processes` load clients and connects every participant (round-robin split). */
  static async start(
    participants: ParticipantSpec[],
    processes: number,
    jpeg: Uint8Array,
  ): Promise<ClientPool> {
    const count = Math.max(1, Math.min(processes, participants.length));
    const pool = new ClientPool(count);
    const jpegBase64 = Buffer.from(jpeg).toString("base64");
    const publisherCount = participants.filter((p) => p.publishes).length;
    await Promise.all(
      pool.clients.map((client, i) =>
        client.request(
          {
            type: "setup",
            participants: participants.filter((_, j) => j % count === i),
            publisherCount,
            jpegBase64,
          },
          "ready",
          SETUP_TIMEOUT_MS,
        ),
      ),
    );
    return pool;
  }

  get pids(): number[] {
    return this.clients.map((c) => c.proc.pid);
  }

  async checkClocks(): Promise<ClockCheck> {
    let maxOffsetMs = 0;
    for (const client of this.clients) {
      let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
      for (let i = 0; i < 5; i++) {
        const before = nowMs();
        const reply = await client.request({ type: "clock" }, "clock", 2000);
        const after = nowMs();
        if (reply.type !== "clock") continue;
        if (after - before < best.rtt) {
          best = { rtt: after - before, offset: reply.now - (before + after) / 2 };
        }
      }
      maxOffsetMs = Math.max(maxOffsetMs, Math.abs(best.offset));
    }
    return { maxOffsetMs };
  }

  /**
   * Waits until no client has received a frame for `quietMs`, so a phase never starts behind
   * the previous one's backlog (an overloaded saturation step can leave seconds of it).
   * Resolves with how long it waited; gives up after `maxMs`.
   */
  async waitQuiet(quietMs: number, maxMs: number): Promise<number> {
    const started = nowMs();
    while (nowMs() - started < maxMs) {
      const replies = await Promise.all(
        this.clients.map((c) => c.request({ type: "quiet" }, "quiet", 2000)),
      );
      const last = Math.max(...replies.map((r) => (r.type === "quiet" ? r.lastFrameAt : 0)));
      if (nowMs() - last >= quietMs) break;
      await Bun.sleep(100);
    }
    return nowMs() - started;
  }

  /** Runs one phase in every client at once; resolves with every client's report. */
  async runPhase(phase: Omit<PhaseMessage, "type">): Promise<PhaseReport[]> {
    const timeoutMs = phase.startAt - nowMs() + phase.durationMs + phase.drainMs + 10_000;
    const replies = await Promise.all(
      this.clients.map((c) => c.request({ type: "phase", ...phase }, "phase-result", timeoutMs)),
    );
    return replies.flatMap((r) => (r.type === "phase-result" ? [r.report] : []));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.clients.map(async (c) => {
        try {
          c.proc.send({ type: "stop" } satisfies ParentMessage);
        } catch {
          // Already gone.
        }
        // Let it close its sockets cleanly first; stopProcess then ends it either way.
        await Promise.race([c.proc.exited, Bun.sleep(500)]);
        await stopProcess(c.proc, 1000);
      }),
    );
  }
}
