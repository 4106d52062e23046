// Real JPEG test images made with jpeg-js, different per seed so receivers can tell senders apart.
import jpeg from "jpeg-js";

export function makeJpeg(
  width: number,
  height: number,
  seed: number,
  quality = 80,
): Uint8Array<ArrayBuffer> {
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      pixels[i] = (x * 7 + seed * 53) & 0xff;
      pixels[i + 1] = (y * 5 + seed * 29) & 0xff;
      pixels[i + 2] = ((x ^ y) + seed * 17) & 0xff;
      pixels[i + 3] = 0xff;
    }
  }
  return new Uint8Array(jpeg.encode({ data: pixels, width, height }, quality).data);
}

/** A JPEG padded with COM segments to exactly `bytes` bytes (for size-controlled frames). */
export function makeJpegOfSize(bytes: number, seed: number): Uint8Array<ArrayBuffer> {
  const base = makeJpeg(64, 48, seed);
  const out = new Uint8Array(bytes);
  out.set(base.subarray(0, 2), 0);
  let offset = 2;
  let padding = bytes - base.byteLength;
  if (padding !== 0 && padding < 4) throw new Error(`cannot pad a JPEG to exactly ${bytes} bytes`);
  while (padding > 0) {
    // One COM segment: marker, a length covering itself, filler. Keep >= 4 bytes for the next one.
    let segment = Math.min(padding, 65535 + 2);
    if (padding - segment > 0 && padding - segment < 4) segment -= 4;
    out[offset] = 0xff;
    out[offset + 1] = 0xfe;
    out[offset + 2] = ((segment - 2) >> 8) & 0xff;
    out[offset + 3] = (segment - 2) & 0xff;
    out.fill(0x20, offset + 4, offset + segment);
    offset += segment;
    padding -= segment;
  }
  if (padding < 0) throw new Error(`a JPEG of ${bytes} bytes is too small for this test image`);
  out.set(base.subarray(2), offset);
  return out;
}
