// Parent side of harness/processes/slow-viewer.ts: starts one as a child process, waits for its welcome,
// and collects its per-frame lines (delay = received − captured) while it runs.
import type { Subprocess } from "bun";
import { stopProcess, track } from "./child-processes.ts";

const SLOW_VIEWER = new URL("./processes/slow-viewer.ts", import.meta.url).pathname;
const READY_TIMEOUT_MS = 10_000;

export interface ViewedFrame {
  sender: number;
  seq: number;
  captureMs: number;
  receivedMs: number;
}

export interface SlowViewer {
  id: number;
  acks: boolean;
  readonly frames: ViewedFrame[];
  /** Audio packets received (same fields; never "drawn"). */
  readonly audio: ViewedFrame[];
  proc: Subprocess;
  stop(): Promise<void>;
}

export async function startSlowViewer(
  roomWsUrl: string,
  fps: number,
  acks: boolean,
): Promise<SlowViewer> {
  const proc = track(
    Bun.spawn([process.execPath, SLOW_VIEWER, roomWsUrl, String(fps), acks ? "ack" : "no-ack"], {
      stdout: "pipe",
      stderr: "ignore",
    }),
  );
  const frames: ViewedFrame[] = [];
  const audio: ViewedFrame[] = [];
  let resolveId: (id: number) => void = () => {};
  const ready = new Promise<number>((resolve) => {
    resolveId = resolve;
  });
  void (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of proc.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const [kind, a, b, c, d] = pending.slice(0, newline).split(" ");
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
        if (kind === "ready") resolveId(Number(a));
        else if (kind === "frame" || kind === "audio") {
          (kind === "frame" ? frames : audio).push({
            sender: Number(a),
            seq: Number(b),
            captureMs: Number(c),
            receivedMs: Number(d),
          });
        }
      }
    }
  })();
  const id = await Promise.race([ready, Bun.sleep(READY_TIMEOUT_MS).then(() => -1)]);
  if (id < 0) {
    await stopProcess(proc, 100);
    throw new Error("slow viewer got no welcome within 10 s");
  }
  return { id, acks, frames, audio, proc, stop: () => stopProcess(proc, 1000) };
}

/** Median delay (ms) of the frames received in [fromMs, toMs). */
export function medianDelay(frames: ViewedFrame[], fromMs: number, toMs: number): number {
  const delays = frames
    .filter((f) => f.receivedMs >= fromMs && f.receivedMs < toMs)
    .map((f) => f.receivedMs - f.captureMs)
    .sort((x, y) => x - y);
  return delays[Math.floor(delays.length / 2)] ?? Number.NaN;
}
