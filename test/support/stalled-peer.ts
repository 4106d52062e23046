// A participant that truly stops reading: a child process joins a room, then is SIGSTOPped, so
// the kernel stops draining its socket and the relay's buffer for it fills up.
import { type Subprocess, spawn } from "bun";

// Prints its welcome, then "frames N audio M" whenever the count of binary messages it got
// changes (M: those of them that are audio packets, kind 3).
const CHILD_SCRIPT = `
const ws = new WebSocket(process.argv[1]);
ws.binaryType = "arraybuffer";
let frames = 0, audio = 0, printed = 0;
ws.onmessage = (e) => {
  if (typeof e.data !== "string") {
    frames++;
    if (new Uint8Array(e.data)[1] === 3) audio++;
  } else if (e.data.includes('"welcome"')) console.log(e.data);
};
ws.onclose = () => process.exit(0);
setInterval(() => { if (frames !== printed) console.log("frames " + (printed = frames) + " audio " + audio); }, 50);
`;

export interface StalledPeer {
  id: number;
  proc: Subprocess;
  /** Freezes the process: from now on nothing reads its socket. */
  stall(): void;
  /** Lets it read again (SIGCONT). */
  resume(): void;
  /** Binary messages it has reported receiving so far. */
  frames(): number;
  /** Of those, audio packets. */
  audio(): number;
  kill(): Promise<void>;
}

export async function joinStalledPeer(roomUrl: string): Promise<StalledPeer> {
  const proc = spawn([process.execPath, "-e", CHILD_SCRIPT, roomUrl], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const { value } = await Promise.race([
    reader.read(),
    Bun.sleep(10_000).then(() => ({ value: undefined })),
  ]);
  const welcome = value
    ? (JSON.parse(new TextDecoder().decode(value).split("\n")[0] ?? "{}") as { id?: number })
    : {};
  if (typeof welcome.id !== "number") {
    proc.kill("SIGKILL");
    throw new Error("stalled peer did not get a welcome");
  }
  let frames = 0;
  let audio = 0;
  void (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) return;
      pending += decoder.decode(chunk);
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const match = /^frames (\d+) audio (\d+)/.exec(line);
        if (match) {
          frames = Number(match[1]);
          audio = Number(match[2]);
        }
      }
    }
  })().catch(() => {});
  return {
    id: welcome.id,
    proc,
    stall: () => proc.kill("SIGSTOP"),
    resume: () => proc.kill("SIGCONT"),
    frames: () => frames,
    audio: () => audio,
    kill: async () => {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** Resident set size of a process in bytes, from /proc. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match?.[1] ? Number(match[1]) * 1024 : 0;
}
