// Child process of the fuzz test: several hostile connections at once, each sending generated
// messages as fast as its socket drains, reconnecting whenever the relay closes it. Prints one JSON
// summary line at the end. Usage: bun fuzz-driver.ts WS_URL ROOM SEED TOTAL CONNECTIONS MAX_FRAME

import { makeJpeg } from "../../harness/jpeg-images.ts";
import { CASES, createGenerator, type FuzzCase } from "./fuzz-messages.ts";

const [
  wsUrl = "",
  room = "fuzz",
  seedText = "1",
  totalText = "100000",
  connText = "6",
  maxText = "65536",
] = process.argv.slice(2);
const total = Number(totalText);
const connections = Number(connText);
const maxFrameBytes = Number(maxText);
const maxMessageBytes = Math.ceil(maxFrameBytes / 3) * 4 + 1024;

const sentByCase = Object.fromEntries(CASES.map((c) => [c, 0])) as Record<FuzzCase, number>;
let legacySent = 0;
let sent = 0;
let connects = 0;
let failedConnects = 0;
const closeCodes: Record<string, number> = {};
const errorCodes: Record<string, number> = {};

function connectUrl(index: number, attempt: number): string {
  // Mix: the honest room (some asking for ack pacing), other rooms, bad names, the old protocol.
  switch ((index + attempt) % 5) {
    case 0:
      return `${wsUrl}/v1/rooms/${room}?name=fuzz-${index}`;
    case 1:
      return `${wsUrl}/v1/rooms/${room}?ack=1&name=%00%1b[2J${index}`;
    case 2:
      return `${wsUrl}/v1/rooms/other-${attempt % 7}?name=${"x".repeat(500)}`;
    case 3:
      return `${wsUrl}/`;
    default:
      return `${wsUrl}/v1/rooms/${room}?token=garbage&name=`;
  }
}

function open(url: string): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const timer = setTimeout(() => resolve(null), 5000);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(ws);
    };
    ws.onerror = () => {
      clearTimeout(timer);
      resolve(null);
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== "string" || !event.data.startsWith('{"type":"error"')) return;
      const code = (JSON.parse(event.data) as { code: string }).code;
      errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    };
  });
}

async function fuzzer(index: number, quota: number): Promise<void> {
  const generator = createGenerator(
    Number(seedText) * 1000 + index,
    maxFrameBytes,
    maxMessageBytes,
    makeJpeg(32, 24, index),
  );
  let done = 0;
  for (let attempt = 0; done < quota; attempt++) {
    const url = connectUrl(index, attempt);
    const legacy = url.endsWith("/");
    const ws = await open(url);
    if (!ws) {
      failedConnects++;
      await Bun.sleep(20);
      continue;
    }
    connects++;
    const closed = new Promise<void>((resolve) => {
      ws.onclose = (event) => {
        closeCodes[event.code] = (closeCodes[event.code] ?? 0) + 1;
        resolve();
      };
    });
    // Each connection sends a slice of the quota, then leaves, so joins and leaves churn too.
    const slice = Math.min(quota - done, 2000 + ((index * 997 + attempt * 131) % 3000));
    for (let i = 0; i < slice && ws.readyState === WebSocket.OPEN; i++) {
      if (legacy) {
        ws.send(generator.nextLegacy());
        legacySent++;
      } else {
        const { kind, message } = generator.next();
        ws.send(message);
        sentByCase[kind]++;
      }
      done++;
      sent++;
      if (i % 64 === 0 || ws.bufferedAmount > 1 << 20) {
        while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > 256 << 10)
          await Bun.sleep(1);
        await Bun.sleep(0);
      }
    }
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    await Promise.race([closed, Bun.sleep(2000)]);
  }
}

const started = performance.now();
await Promise.all(
  Array.from({ length: connections }, (_, i) => fuzzer(i, Math.ceil(total / connections))),
);
process.stdout.write(
  `${JSON.stringify({
    sent,
    legacySent,
    sentByCase,
    connects,
    failedConnects,
    closeCodes,
    errorCodes,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  })}\n`,
);
process.exit(0);
