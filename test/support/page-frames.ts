// What a page sends and receives on its WebSocket, frame by frame (Playwright's websocket
// events): the header of every binary message, for tests that count bytes or key frames per
// codec without trusting the page's own counters.
import type { Page } from "playwright-core";
import {
  FrameKind,
  HEADER_BYTES,
  isEncryptedFrame,
  isKeyFrame,
  readLayer,
  readSenderId,
  readTemporalLayer,
} from "../../protocol/index.ts";

export interface SeenFrame {
  atMs: number;
  kind: number;
  sender: number;
  layer: number;
  key: boolean;
  /** Kind 4: the temporal layer id (flag bits 4-5). */
  temporal: number;
  /** Flag bit 0: sealed with the room key. */
  encrypted: boolean;
  bytes: number;
}

export interface PageFrames {
  sent: SeenFrame[];
  received: SeenFrame[];
}

function seen(payload: string | Buffer): SeenFrame | null {
  if (typeof payload === "string" || payload.byteLength < HEADER_BYTES) return null;
  const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    atMs: Date.now(),
    kind: bytes[1] as number,
    sender: readSenderId(bytes),
    layer: readLayer(bytes),
    key: bytes[1] === FrameKind.VideoH264 && isKeyFrame(bytes),
    encrypted: isEncryptedFrame(bytes),
    temporal: bytes[1] === FrameKind.VideoH264 ? readTemporalLayer(bytes) : 0,
    bytes: bytes.byteLength,
  };
}

/** Records every binary frame of every WebSocket `page` opens from now on. */
export function recordFrames(page: Page): PageFrames {
  const frames: PageFrames = { sent: [], received: [] };
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => {
      const frame = seen(payload);
      if (frame) frames.sent.push(frame);
    });
    socket.on("framereceived", ({ payload }) => {
      const frame = seen(payload);
      if (frame) frames.received.push(frame);
    });
  });
  return frames;
}

/** Frames of `kind` (and layer, sender) between two times; their count and bytes per frame. */
export function perFrame(
  frames: SeenFrame[],
  match: Partial<Pick<SeenFrame, "kind" | "layer" | "sender" | "key">>,
  fromMs = 0,
  toMs = Number.POSITIVE_INFINITY,
): { count: number; bytesPerFrame: number } {
  const picked = frames.filter(
    (f) =>
      f.atMs >= fromMs &&
      f.atMs <= toMs &&
      (match.kind === undefined || f.kind === match.kind) &&
      (match.layer === undefined || f.layer === match.layer) &&
      (match.sender === undefined || f.sender === match.sender) &&
      (match.key === undefined || f.key === match.key),
  );
  const bytes = picked.reduce((sum, f) => sum + f.bytes, 0);
  return { count: picked.length, bytesPerFrame: picked.length ? bytes / picked.length : 0 };
}
