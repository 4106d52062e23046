// The config a receiver's VideoDecoder is built from: the codec string of a key frame's SPS
// (protocol/h264-sps.ts). Annex B carries SPS and PPS in the stream, so no description.
export function h264DecoderConfig(codec: string): VideoDecoderConfig {
  // optimizeForLatency: one chunk in, one picture out (measured in Chromium), so the ack sent
  // after each decoded frame never waits for the next frame to arrive.
  return { codec, optimizeForLatency: true, hardwareAcceleration: "no-preference" };
}
