// A participant that truly stops reading: a child process joins a room, then is SIGSTOPped, so
// the kernel stops draining its socket and the relay's buffer for it fills up.
import { type Subprocess, spawn } from "bun";

const CHILD_SCRIPT = `
const ws = new WebSocket(process.argv[1]);
ws.onmessage = (e) => { if (typeof e.data === "string" && e.data.includes('"welcome"')) console.log(e.data); };
ws.onclose = () => process.exit(0);
setInterval(() => {}, 1000);
`;

export interface StalledPeer {
  id: number;
  proc: Subprocess;
  /** Freezes the process: from now on nothing reads its socket. */
  stall(): void;
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
  reader.releaseLock();
  const welcome = value
    ? (JSON.parse(new TextDecoder().decode(value).split("\n")[0] ?? "{}") as { id?: number })
    : {};
  if (typeof welcome.id !== "number") {
    proc.kill("SIGKILL");
    throw new Error("stalled peer did not get a welcome");
  }
  return {
    id: welcome.id,
    proc,
    stall: () => proc.kill("SIGSTOP"),
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
