// Real JPEG test images made with jpeg-js, different per seed so receivers can tell senders apart.
import jpeg from "jpeg-js";

export function makeJpeg(width: number, height: number, seed: number, quality = 80): Uint8Array {
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

/** A JPEG padded with a COM segment to exactly `bytes` bytes (for size-controlled frames). */
export function makeJpegOfSize(bytes: number, seed: number): Uint8Array {
  const base = makeJpeg(64, 48, seed);
  const padding = bytes - base.byteLength - 4;
  if (padding < 0) throw new Error(`a JPEG of ${bytes} bytes is too small for this test image`);
  if (padding > 65533) throw new Error("makeJpegOfSize pads with one COM segment of at most 65533 bytes");
  const out = new Uint8Array(bytes);
  out.set(base.subarray(0, 2), 0);
  // COM marker with a length that covers itself, then filler bytes, then the rest of the image.
  out[2] = 0xff;
  out[3] = 0xfe;
  out[4] = ((padding + 2) >> 8) & 0xff;
  out[5] = (padding + 2) & 0xff;
  out.fill(0x20, 6, 6 + padding);
  out.set(base.subarray(2), 6 + padding);
  return out;
}
