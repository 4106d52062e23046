// A viewer with a slow CPU: it takes `1000 / fps` ms to "draw" each frame and reads nothing from
// its socket meanwhile (the whole thread is busy), so frames it can't take wait in the kernel's
// buffers and then the relay's, as behind a real slow device or link. With `ack` it joins with
// ?ack=1 and acks each frame once drawn. Used by `bun bench --scenario slow-viewer` and the tests.
//
//   bun harness/processes/slow-viewer.ts WS_ROOM_URL FPS ack|no-ack
//
// stdout: `ready ID` once welcomed, then one line per frame, written after drawing it:
// `frame SENDER SEQ CAPTURE_MS RECEIVED_MS` (times: performance.timeOrigin + performance.now()).
// Audio packets (kind 3) cost it nothing (sound is cheap to play): one `audio ...` line each, in
// the same format, and never acked (the relay doesn't pace audio).
import {
  HEADER_BYTES,
  isAudioMessage,
  isControlText,
  parseControl,
  parseJoinOptions,
  readCaptureTime,
  readSenderId,
  readSequence,
  roomUrl,
  writeAckFor,
} from "../../protocol/index.ts";

const [url, fpsText, ackText] = process.argv.slice(2);
const fps = Number(fpsText);
if (!url || !(fps > 0) || (ackText !== "ack" && ackText !== "no-ack")) {
  process.stderr.write("usage: bun harness/processes/slow-viewer.ts WS_ROOM_URL FPS ack|no-ack\n");
  process.exit(2);
}
const acks = ackText === "ack";
const drawMs = 1000 / fps;

/** The room URL with ?ack=1 added (or left out). */
function viewerUrl(roomWsUrl: string, ack: boolean): string {
  const parsed = new URL(roomWsUrl);
  const room = decodeURIComponent(parsed.pathname.split("/").pop() ?? "");
  const name = parseJoinOptions(parsed).name;
  return roomUrl(`${parsed.protocol}//${parsed.host}`, room, { name, ack });
}

const socket = new WebSocket(viewerUrl(url, acks));
socket.binaryType = "arraybuffer";
const ack = new Uint8Array(HEADER_BYTES);
const out: string[] = [];

socket.addEventListener("message", (event) => {
  const receivedAt = performance.timeOrigin + performance.now();
  const data = event.data as ArrayBuffer | string;
  if (typeof data === "string") {
    if (!isControlText(data)) return;
    const control = parseControl(data);
    if (control?.type === "welcome") process.stdout.write(`ready ${control.id}\n`);
    return;
  }
  const frame = new Uint8Array(data);
  if (frame.byteLength <= HEADER_BYTES) return;
  if (isAudioMessage(frame)) {
    out.push(
      `audio ${readSenderId(frame)} ${readSequence(frame)} ${readCaptureTime(frame)} ${receivedAt}\n`,
    );
    return;
  }
  // "Drawing": the thread is busy, so nothing reads the socket until it is done.
  Bun.sleepSync(drawMs);
  if (acks && socket.readyState === WebSocket.OPEN) {
    writeAckFor(ack, frame);
    socket.send(ack);
  }
  out.push(
    `frame ${readSenderId(frame)} ${readSequence(frame)} ${readCaptureTime(frame)} ${receivedAt}\n`,
  );
  // Batched: one write per few frames keeps the pipe cheap without holding lines back long.
  if (out.length >= 5) process.stdout.write(out.splice(0).join(""));
});
setInterval(() => {
  if (out.length > 0) process.stdout.write(out.splice(0).join(""));
}, 250);
socket.addEventListener("close", (event) => {
  if (out.length > 0) process.stdout.write(out.splice(0).join(""));
  process.stderr.write(`slow viewer closed: ${event.code}\n`);
  process.exit(0);
});
