// The codecs scenario as a self-contained SVG: Mbit/s of MJPEG next to H.264 at equal SSIM, for
// one 640x480 sender and for a 16-person room's downlink per tile layer (bench --json FILE
// writes it as FILE.codecs.svg).
import type { CodecsFigures } from "./codecs-scenario.ts";

const COLORS = { mjpeg: "#fd8d3c", h264: "#2171b5" };
const LEFT = 250;
const BAR_WIDTH = 420;
const ROW = 22;

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function codecsSvg(figures: CodecsFigures, title: string): string {
  const same = figures.sameQuality;
  const groups = [
    {
      label: `one sender ${same.width}x${same.height} (ssim ≥ ${same.mjpeg.ssim.toFixed(4)})`,
      mjpeg: same.mjpeg.mbitPerSecond,
      h264: same.h264.mbitPerSecond,
    },
    ...figures.room.perLayer.map((layer) => ({
      label: `downlink, ${figures.room.senders} × ${layer.width}x${layer.height} (${layer.pickedBy.join(", ")} layers)`,
      mjpeg: layer.mjpegDownlinkMbit,
      h264: layer.h264DownlinkMbit,
    })),
  ];
  const max = Math.max(...groups.flatMap((g) => [g.mjpeg, g.h264]), 1e-9);
  const height = 50 + groups.length * (ROW * 2 + 16) + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${LEFT + BAR_WIDTH + 170}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  let y = 44;
  for (const group of groups) {
    parts.push(`<text x="10" y="${y + ROW}">${escapeXml(group.label)}</text>`);
    for (const codec of ["mjpeg", "h264"] as const) {
      const value = group[codec];
      const width = Math.max(1, (value / max) * BAR_WIDTH);
      parts.push(
        `<rect x="${LEFT}" y="${y}" width="${width}" height="${ROW - 4}" fill="${COLORS[codec]}"/>`,
        `<text x="${LEFT + width + 6}" y="${y + ROW - 8}">${codec === "mjpeg" ? "MJPEG" : "H.264"} ${value.toFixed(2)} Mbit/s</text>`,
      );
      y += ROW;
    }
    y += 16;
  }
  parts.push(
    `<text x="10" y="${height - 12}" fill="#555">${escapeXml(
      `${figures.source.pattern} ${figures.source.fps} fps; MJPEG -q:v ${figures.mjpegQuality}, H.264 at the CRF matching its SSIM`,
    )}</text>`,
    "</svg>",
  );
  return parts.join("\n");
}
