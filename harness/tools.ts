// External tools the tests drive, found the way the client finds them (PATH, then the static
// builds npm's optional @ffmpeg-installer / @ffprobe-installer packages ship). A tool that is
// missing skips its tests on a developer machine but fails them in CI (CI=true), where .ci/run
// installs everything.
import { findFfmpeg, findFfplay, findFfprobe } from "../client/find-ffmpeg.ts";

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

const warned = new Set<string>();

/**
 * True when the tool is there; in CI a missing tool is an error, not a skip. Outside CI the
 * first check of a missing tool prints one warning line (`skipped` says what is skipped).
 */
export function available(
  tool: string,
  present: boolean,
  skipped = `skipping tests that need ${tool}: not installed`,
): boolean {
  if (!present && inCI) throw new Error(`${tool} is required in CI (.ci/run installs it)`);
  if (!present && !warned.has(skipped)) {
    warned.add(skipped);
    console.warn(skipped);
  }
  return present;
}

/** openssl makes the TLS tests' certificate; npm has no build of it. */
export const hasOpenssl = available(
  "openssl (apt-get install openssl)",
  Bun.which("openssl") !== null,
);

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
