// Load for compare.ts: one publisher and N receivers in one room; the publisher keeps at most
// WINDOW frames in flight (ahead of the slowest receiver), so this measures the relay's capacity.
import { encodeVideoFrame } from "../../../protocol/index.ts";

const [url = "", receiversArg = "1", secondsArg = "5", bytesArg = "51200"] = process.argv.slice(2);
const RECEIVERS = Number(receiversArg);
const SECONDS = Number(secondsArg);
const WINDOW = 8;
const jpeg = new Uint8Array(Number(bytesArg));
jpeg[0] = 0xff;
jpeg[1] = 0xd8;

function open(name: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/v1/rooms/paths?name=${name}`);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`cannot connect ${name}`));
  });
}

const counts = new Array<number>(RECEIVERS).fill(0);
const receivers = await Promise.all(Array.from({ length: RECEIVERS }, (_, i) => open(`r${i}`)));
receivers.forEach((ws, i) => {
  ws.onmessage = (event) => {
    if (typeof event.data !== "string") {
      counts[i] = (counts[i] ?? 0) + 1;
      pump();
    }
  };
});
const publisher = await open("pub");
await Bun.sleep(200);

let sent = 0;
let running = true;
function pump(): void {
  if (!running) return;
  const slowest = Math.min(...counts);
  while (sent - slowest < WINDOW) {
    publisher.send(encodeVideoFrame(jpeg, Date.now(), sent));
    sent++;
  }
}
const started = performance.now();
pump();
await Bun.sleep(SECONDS * 1000);
running = false;
const seconds = (performance.now() - started) / 1000;
const delivered = counts.reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({ sent, delivered, seconds, framesPerSecond: Math.min(...counts) / seconds }),
);
process.exit(0);
