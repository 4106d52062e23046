// CPU time and memory of a process from /proc (Linux only; null elsewhere or once it has exited).
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: /proc/PID/stat counts CPU time in these ticks; 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;
/** The resolution of the fallback: /proc/PID/stat's 10 ms ticks. */
export const TICK_SECONDS = 1 / TICKS_PER_SECOND;
/** The resolution of schedstat's figures (nanoseconds). */
const SCHEDSTAT_SECONDS = 1e-9;

/**
 * CPU seconds the process has used so far, in nanoseconds' resolution: the sum over its threads
 * of /proc/PID/task/TID/schedstat. /proc/PID/stat counts 10 ms ticks, too coarse for a relay
 * that uses 0.1 s of CPU in a phase (a ±1 tick error is ±10%); it is the fallback.
 */
export function cpuSeconds(pid: number): number | null {
  return cpuReading(pid)?.seconds ?? null;
}

/** cpuSeconds with the resolution it was read at (schedstat's ns, or the fallback's ticks). */
export function cpuReading(pid: number): { seconds: number; resolution: number } | null {
  const fine = schedstatSeconds(pid);
  if (fine !== null) return { seconds: fine, resolution: SCHEDSTAT_SECONDS };
  const coarse = tickSeconds(pid);
  return coarse === null ? null : { seconds: coarse, resolution: TICK_SECONDS };
}

function schedstatSeconds(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      // "time on CPU (ns)  time waiting (ns)  timeslices"
      const onCpu = Number(
        readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0],
      );
      if (!Number.isFinite(onCpu)) return null;
      ns += onCpu;
    }
    return ns / 1e9;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of the whole process in 10 ms ticks (/proc/PID/stat), threads that have exited
 * included: over minutes (the soak) steadier than the schedstat sum, which loses a thread's
 * time when the thread ends.
 */
export function processCpuSeconds(pid: number): number | null {
  return tickSeconds(pid);
}

function tickSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export interface MemoryStats {
  rssMB: number;
  /** Peak RSS over the process's whole life (VmHWM). */
  peakRssMB: number;
}

export function memoryStats(pid: number): MemoryStats | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
    const rss = kb("VmRSS");
    const peak = kb("VmHWM");
    if (!Number.isFinite(rss) || !Number.isFinite(peak)) return null;
    return { rssMB: rss / 1024, peakRssMB: peak / 1024 };
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process used between `start()` and `stop()`; null when /proc can't tell.
 * `resolution`: the coarser of the two readings' resolutions (the figure is ± that).
 */
export function cpuMeter(pid: number | null) {
  const before = pid === null ? null : cpuReading(pid);
  let resolution: number | null = null;
  return {
    stop(): number | null {
      if (pid === null || before === null) return null;
      const after = cpuReading(pid);
      if (after === null) return null;
      resolution = Math.max(before.resolution, after.resolution);
      return after.seconds - before.seconds;
    },
    get resolution(): number | null {
      return resolution;
    },
  };
}
