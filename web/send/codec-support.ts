// Whether this browser encodes and decodes H.264 with WebCodecs, asked once per page: a page
// without VideoEncoder (or VideoDecoder), or whose isConfigSupported says no, sends JPEG.
import { h264DecoderConfig } from "../watch/h264-decoder-config.ts";
import { type CodecSupport, NO_H264 } from "./codec-choice.ts";
import { h264EncoderConfig } from "./h264-config.ts";

/** The size the answer is asked for; each layer's encoder asks again for its own size. */
const PROBE_SIZE = { width: 640, height: 480 };
const PROBE_FPS = 15;

async function supported(ask: () => Promise<{ supported?: boolean }>): Promise<boolean> {
  try {
    return (await ask()).supported === true;
  } catch {
    return false;
  }
}

let probe: Promise<CodecSupport> | null = null;

export function h264Support(scope: typeof globalThis = globalThis): Promise<CodecSupport> {
  probe ??= (async () => {
    if (typeof scope.VideoEncoder !== "function" && typeof scope.VideoDecoder !== "function")
      return NO_H264;
    const [encode, decode] = await Promise.all([
      typeof scope.VideoEncoder === "function" &&
        supported(() =>
          scope.VideoEncoder.isConfigSupported(h264EncoderConfig(PROBE_SIZE, PROBE_FPS, false)),
        ),
      typeof scope.VideoDecoder === "function" &&
        supported(() => scope.VideoDecoder.isConfigSupported(h264DecoderConfig("avc1.42E01F"))),
    ]);
    return { encode: encode === true, decode: decode === true };
  })();
  return probe;
}
