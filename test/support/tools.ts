// External tools the tests drive, found the way the client finds them (PATH, then the static
// builds npm's optional @ffmpeg-installer / @ffprobe-installer packages ship). A tool that is
// missing skips its tests on a developer machine but fails them in CI (CI=true), where .ci/run
// installs everything.
import { findFfmpeg, findFfplay, findFfprobe } from "../../client/find-ffmpeg.ts";

export const inCI = process.env.CI === "true" || process.env.CI === "1";

async function optional<T>(find: () => T | Promise<T>): Promise<T | null> {
  try {
    return await find();
  } catch {
    return null;
  }
}

export const FFMPEG = (await optional(() => findFfmpeg(null))) ?? "ffmpeg";
export const FFPROBE = (await optional(() => findFfprobe(FFMPEG))) ?? "ffprobe";
/** ffplay has no npm build; null when absent. */
export const FFPLAY = await optional(() => findFfplay(null, FFMPEG));

/** True when the tool is there; in CI a missing tool is an error, not a skip. */
export function available(tool: string, present: boolean): boolean {
  if (!present && inCI) throw new Error(`${tool} is required in CI (.ci/run installs it)`);
  if (!present) console.warn(`skipping tests that need ${tool}: not installed`);
  return present;
}

/** Runs ffmpeg on its 320x240 15 fps test pattern, encoding MJPEG with `outputArgs`. */
export function ffmpegTestPattern(outputArgs: string[]) {
  return Bun.spawnSync(
    [
      FFMPEG,
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=320x240:rate=15",
    ].concat(outputArgs),
    { timeout: 20_000 },
  );
}
