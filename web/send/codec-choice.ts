// Which video codecs the page sends (docs/BROWSER.md, "Video codec"; docs/PROTOCOL.md, "Mixed
// rooms"). H.264 where the browser both encodes and decodes it (WebCodecs) and the page URL
// doesn't say `?codec=jpeg`; JPEG otherwise. An H.264 sender follows the relay's codecs_needed:
// kind 4 while someone decodes it or nobody is there (so an H.264 joiner's recording starts on
// H.264, not on a JPEG that a codec switch then cuts into a second file), JPEG while someone can't.
import type { CodecsNeededMessage } from "../../protocol/index.ts";

export type VideoCodec = "h264" | "jpeg";

export interface CodecSupport {
  /** VideoEncoder with constrained baseline H.264 (annexb, realtime) at the page's size. */
  encode: boolean;
  /** VideoDecoder with H.264: join with `codecs=h264`. */
  decode: boolean;
}

export const NO_H264: CodecSupport = { encode: false, decode: false };

/** What the page sends on: H.264 needs both directions (a sender must see what it gets back). */
export function chooseCodec(support: CodecSupport, forced: VideoCodec | null): VideoCodec {
  if (forced === "jpeg") return "jpeg";
  if (forced === "h264") return support.encode ? "h264" : "jpeg";
  return support.encode && support.decode ? "h264" : "jpeg";
}

export type CodecsNeeded = Pick<CodecsNeededMessage, "jpeg" | "h264">;

/** Until the relay says otherwise (and on relays that predate codecs_needed): JPEG only. */
export const JPEG_ONLY: CodecsNeeded = { jpeg: true, h264: false };

/** The streams to send for the chosen codec and the relay's latest codecs_needed. */
export function streamsToSend(codec: VideoCodec, needed: CodecsNeeded): CodecsNeeded {
  if (codec === "jpeg") return { jpeg: true, h264: false };
  // Nobody else in the room: H.264, what the page chose (a JPEG-only joiner asks for JPEG).
  if (!needed.jpeg && !needed.h264) return { jpeg: false, h264: true };
  return { jpeg: needed.jpeg, h264: needed.h264 };
}

/** `?codec=jpeg` (or `h264`) in the page's URL: the codec to use whatever the browser supports. */
export function forcedCodec(pageUrl: string): VideoCodec | null {
  const value = new URL(pageUrl).searchParams.get("codec");
  return value === "jpeg" || value === "h264" ? value : null;
}
