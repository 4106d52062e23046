// A pre-encoded H.264 test stream for relay tests: libx264 as the CLI will run it (veryfast,
// zerolatency, no B-frames, a 1 s GOP, an AUD before each access unit, SPS+PPS before each
// IDR), split into access units on the AUDs (never on start codes: sliced threads emit two
// slices per frame), and the clean decode's framemd5 of each picture.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { H264Splitter } from "../../client/send/h264-splitter.ts";
import { FFMPEG } from "../../harness/tools.ts";

export interface AccessUnit {
  bytes: Uint8Array;
  key: boolean;
}

/** Access units of an Annex B stream whose every unit starts with an AUD (the CLI's splitter). */
export function splitOnAud(stream: Uint8Array): AccessUnit[] {
  const units: AccessUnit[] = [];
  const splitter = new H264Splitter({ onUnit: (bytes, key) => units.push({ bytes, key }) });
  splitter.push(stream);
  splitter.flush();
  return units;
}

/** framemd5 of each decoded picture of an Annex B file, in order. */
export function decodeMd5s(path: string): string[] {
  const result = Bun.spawnSync(
    [FFMPEG, "-v", "error", "-f", "h264", "-i", path, "-f", "framemd5", "-"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const lines = result.stdout.toString().split("\n");
  return lines.filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").at(-1)?.trim() ?? "");
}

export interface TestStream {
  units: AccessUnit[];
  /** Clean decode: md5 of the picture of unit i. */
  md5s: string[];
  dir: string;
  cleanup(): void;
}

/** Encodes `seconds` of testsrc2 640x480@30 and returns its access units and clean decode. */
export function encodeTestStream(seconds: number): TestStream {
  const dir = mkdtempSync(join(tmpdir(), "framecast-h264-"));
  const path = join(dir, "clean.h264");
  const encode = Bun.spawnSync(
    [
      FFMPEG,
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=640x480:rate=30",
      "-t",
      String(seconds),
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-tune",
      "zerolatency",
      "-bf",
      "0",
      "-g",
      "30",
      "-x264-params",
      "aud=1:repeat-headers=1",
      "-f",
      "h264",
      path,
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (encode.exitCode !== 0) throw new Error(`ffmpeg: ${encode.stderr.toString()}`);
  const units = splitOnAud(new Uint8Array(readFileSync(path)));
  const md5s = decodeMd5s(path);
  return { units, md5s, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes access units to an Annex B file and returns the md5 of each decoded picture. */
export function decodeUnits(dir: string, name: string, units: Uint8Array[]): string[] {
  const path = join(dir, `${name}.h264`);
  writeFileSync(path, Buffer.concat(units.map((u) => Buffer.from(u))));
  return decodeMd5s(path);
}
