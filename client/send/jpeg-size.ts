// A JPEG's picture size, read from its first SOF marker segment (the screen share announces its
// layer from the first frame ffmpeg's x11grab gives, whatever the display's size).
import type { LayerSize } from "../../protocol/index.ts";

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which are not frame headers. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

export function jpegSize(jpeg: Uint8Array): LayerSize | null {
  let at = 2; // after SOI
  while (at + 9 < jpeg.byteLength) {
    if (jpeg[at] !== 0xff) return null;
    const marker = jpeg[at + 1] as number;
    const length = ((jpeg[at + 2] as number) << 8) | (jpeg[at + 3] as number);
    if (isStartOfFrame(marker)) {
      const height = ((jpeg[at + 5] as number) << 8) | (jpeg[at + 6] as number);
      const width = ((jpeg[at + 7] as number) << 8) | (jpeg[at + 8] as number);
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (marker === 0xda || length < 2) return null; // scan data before any frame header
    at += 2 + length;
  }
  return null;
}
