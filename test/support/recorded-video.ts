// What a CLI recording holds, whatever the codec the sender chose: a page sends H.264 to a CLI
// that decodes it (docs/BROWSER.md, "Video codec") and JPEG to one that doesn't, and the
// recorder writes either as it came. ffmpeg decodes the file; ffprobe lists every picture.
import { FFMPEG, FFPROBE } from "../../harness/tools.ts";

export interface RecordedVideo {
  /** ffprobe's codec_name of the video stream: "mjpeg" or "h264". */
  codec: string;
  /** Pictures in the file. */
  count: number;
  /** Every picture's "WIDTHxHEIGHT". */
  sizes: Set<string>;
  /** What `ffmpeg -v error -i FILE -f null -` printed: "" for a file that decodes clean. */
  errors: string;
}

export function recordedVideo(path: string): RecordedVideo {
  const decode = Bun.spawnSync([FFMPEG, "-v", "error", "-i", path, "-f", "null", "-"], {
    timeout: 60_000,
  });
  const codec = Bun.spawnSync(
    [FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name"].concat(
      ["-of", "csv=p=0", path],
    ),
    { timeout: 30_000 },
  );
  const frames = Bun.spawnSync(
    [
      FFPROBE,
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "frame=width,height",
    ].concat(["-of", "csv=p=0", path]),
    { timeout: 60_000 },
  );
  const lines = frames.stdout
    .toString()
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  return {
    codec: codec.stdout.toString().trim(),
    count: lines.length,
    // "320,240" (some codecs add an empty field: "320,240,").
    sizes: new Set(lines.map((line) => line.split(",").slice(0, 2).join("x"))),
    errors: decode.stdout.toString() + decode.stderr.toString(),
  };
}
