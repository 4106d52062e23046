// Locates the ffmpeg and ffplay binaries: explicit flag/env first, then PATH, then the static
// ffmpeg that the optional npm package @ffmpeg-installer/ffmpeg ships (no ffplay in it).
import { accessSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { LIST_ENCODERS_ARGS, listsLibx264 } from "./send/capture-args.ts";

export class MissingToolError extends Error {}

const INSTALL_HINT = [
  "install ffmpeg, then run again:",
  "  Debian/Ubuntu: sudo apt-get install ffmpeg",
  "  Fedora:        sudo dnf install ffmpeg",
  "  macOS:         brew install ffmpeg",
  "  Windows:       winget install ffmpeg",
  "  npm only:      npm install @ffmpeg-installer/ffmpeg   (capture only, no ffplay for --view)",
  "or point --ffmpeg / FFMPEG_PATH at an ffmpeg binary.",
].join("\n");

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binary an optional npm package (@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe) ships. */
async function npmShippedBinary(packageName: string): Promise<string | null> {
  // A variable specifier keeps this an optional dependency: not installed means "not found".
  try {
    const module = (await import(packageName)) as { path?: string; default?: { path?: string } };
    const path = module.path ?? module.default?.path;
    return path && isExecutable(path) ? path : null;
  } catch {
    return null;
  }
}

/**
 * `explicit` comes from --ffmpeg / FFMPEG_PATH; `searchPath` defaults to $PATH; `npmFallback`
 * (tests turn it off) allows the static build from @ffmpeg-installer/ffmpeg.
 */
export async function findFfmpeg(
  explicit: string | null,
  searchPath?: string,
  npmFallback = true,
): Promise<string> {
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new MissingToolError(
      `ffmpeg not found at ${explicit} (from --ffmpeg / FFMPEG_PATH)\n${INSTALL_HINT}`,
    );
  }
  const onPath = Bun.which("ffmpeg", searchPath === undefined ? {} : { PATH: searchPath });
  if (onPath) return onPath;
  const shipped = npmFallback ? await npmShippedBinary("@ffmpeg-installer/ffmpeg") : null;
  if (shipped) return shipped;
  throw new MissingToolError(`ffmpeg not found on PATH\n${INSTALL_HINT}`);
}

/** ffprobe (used by tests to check recordings): next to ffmpeg, PATH, then its npm package. */
export async function findFfprobe(ffmpegPath: string, searchPath?: string): Promise<string> {
  const sibling = join(
    dirname(ffmpegPath),
    process.platform === "win32" ? "ffprobe.exe" : "ffprobe",
  );
  if (isExecutable(sibling)) return sibling;
  const onPath = Bun.which("ffprobe", searchPath === undefined ? {} : { PATH: searchPath });
  if (onPath) return onPath;
  const shipped = await npmShippedBinary("@ffprobe-installer/ffprobe");
  if (shipped) return shipped;
  throw new MissingToolError(`ffprobe not found on PATH\n${INSTALL_HINT}`);
}

/** ffplay for --view: explicit, else next to the ffmpeg in use, else PATH. */
export function findFfplay(
  explicit: string | null,
  ffmpegPath: string,
  searchPath?: string,
): string {
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new MissingToolError(`ffplay not found at ${explicit} (from --ffplay / FFPLAY_PATH)`);
  }
  const sibling = join(dirname(ffmpegPath), process.platform === "win32" ? "ffplay.exe" : "ffplay");
  if (isExecutable(sibling)) return sibling;
  const onPath = Bun.which("ffplay", searchPath === undefined ? {} : { PATH: searchPath });
  if (onPath) return onPath;
  throw new MissingToolError(
    "--view needs ffplay, which comes with a full ffmpeg install (e.g. sudo apt-get install ffmpeg);\n" +
      "the npm-shipped ffmpeg has none. Use --record DIR instead, or point --ffplay / FFPLAY_PATH at it.",
  );
}

/** Whether this ffmpeg can encode H.264 with libx264 (`ffmpeg -hide_banner -encoders`). */
export function ffmpegHasLibx264(ffmpeg: string): boolean {
  const result = Bun.spawnSync([ffmpeg, ...LIST_ENCODERS_ARGS], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    timeout: 10_000,
  });
  return result.exitCode === 0 && listsLibx264(result.stdout.toString());
}
