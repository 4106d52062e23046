// What the numbers were measured on, for the JSON report.
import { readFileSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  totalMemoryMB: number;
  platform: string;
  arch: string;
  kernel: string;
  /** 1-minute load average at the start: a busy machine explains noisy numbers. */
  loadAverage: number;
}

export interface Versions {
  bun: string;
  framecast: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    totalMemoryMB: Math.round(os.totalmem() / 1024 / 1024),
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release(),
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function versions(): Versions {
  let framecast = "unknown";
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    framecast = String(pkg.version);
  } catch {
    // Running outside the repository: leave it unknown.
  }
  return { bun: Bun.version, framecast };
}
