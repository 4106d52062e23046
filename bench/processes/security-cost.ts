// What join tokens and TLS cost the relay per frame: the `meeting` load (4 participants all-to-all,
// 40 KB JPEG frames at 30 fps) against a relay that is open on ws://, then one with --auth-secret
// and TLS (wss://, a certificate made with openssl), alternating. Relay CPU comes from
// /proc/PID/stat. `bun bench` can't carry tokens or a private CA, hence this script.
//   bun bench/processes/security-cost.ts [--seconds 10] [--rounds 2]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeJpegOfSize } from "../../harness/jpeg-images.ts";
import { makeSelfSignedCert } from "../../harness/self-signed-cert.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { encodeVideoFrame } from "../../protocol/index.ts";
import { mintJoinToken, secretKey } from "../../relay/security/tokens.ts";

const USAGE = `Usage: npx bun bench/processes/security-cost.ts [--seconds 10] [--rounds 2]
Relay CPU at meeting load (4 all-to-all, 40 KB, 30 fps) with auth and TLS off and on.`;

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        seconds: { type: "string", default: "10" },
        rounds: { type: "string", default: "2" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const PARTICIPANTS = 4;
const FPS = 30;
const FRAME_BYTES = 40_000;
const SECRET = "bench-secret-0123456789abcdef-0123456789abcdef";

const BunWebSocket = WebSocket as unknown as new (
  url: string,
  init: Bun.WebSocketOptions,
) => WebSocket;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Setup {
  label: string;
  args: string[];
  base: (relay: SpawnedRelay) => string;
  tls?: { ca: string };
  secure: boolean;
}

async function measure(setup: Setup) {
  const relay = await startRelay([...setup.args, "--log-level", "warn"]);
  try {
    const sockets: WebSocket[] = [];
    let received = 0;
    for (let i = 0; i < PARTICIPANTS; i++) {
      const token = setup.secure
        ? `&token=${await mintJoinToken(secretKey(SECRET), { room: "meeting", name: `p${i}`, ttlSeconds: 600, canPublish: true })}`
        : "";
      const ws = new BunWebSocket(`${setup.base(relay)}/v1/rooms/meeting?name=p${i}${token}`, {
        tls: setup.tls,
      });
      ws.binaryType = "arraybuffer";
      ws.onmessage = (event) => {
        if (typeof event.data !== "string") received++;
      };
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      sockets.push(ws);
    }
    const frame = encodeVideoFrame(makeJpegOfSize(FRAME_BYTES, 1), 0, 0);
    const tick = async (seconds: number) => {
      const start = performance.now();
      let sent = 0;
      for (let k = 0; performance.now() - start < seconds * 1000; k++) {
        const due = start + (k * 1000) / FPS;
        if (due > performance.now()) await Bun.sleep(due - performance.now());
        for (const ws of sockets) ws.send(frame);
        sent += sockets.length;
      }
      return sent;
    };
    await tick(1); // warm-up
    await Bun.sleep(300);
    received = 0;
    const cpuBefore = cpuSeconds(relay.proc.pid);
    const sent = await tick(SECONDS);
    await Bun.sleep(300);
    const cpu = cpuSeconds(relay.proc.pid) - cpuBefore;
    for (const ws of sockets) ws.close();
    return {
      label: setup.label,
      framesIn: sent,
      deliveries: received,
      delivered: received / (sent * (PARTICIPANTS - 1)),
      cpuPercent: (cpu / SECONDS) * 100,
      usPerFrameIn: (cpu / sent) * 1e6,
      usPerDelivery: (cpu / received) * 1e6,
    };
  } finally {
    await relay.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), "framecast-bench-tls-"));
try {
  const { certPath: cert, keyPath: key, pem } = makeSelfSignedCert(dir, 1);
  const setups: Setup[] = [
    { label: "open, ws://", args: [], base: (r) => r.wsUrl, secure: false },
    { label: "auth, ws://", args: ["--auth-secret", SECRET], base: (r) => r.wsUrl, secure: true },
    {
      label: "TLS, wss://",
      args: ["--tls-cert", cert, "--tls-key", key],
      base: (r) => `wss://127.0.0.1:${r.port}`,
      tls: { ca: pem },
      secure: false,
    },
    {
      label: "auth + TLS, wss://",
      args: ["--auth-secret", SECRET, "--tls-cert", cert, "--tls-key", key],
      base: (r) => `wss://127.0.0.1:${r.port}`,
      tls: { ca: pem },
      secure: true,
    },
  ];
  console.log(
    `meeting: ${PARTICIPANTS} all-to-all, ${FRAME_BYTES} B at ${FPS} fps, ${SECONDS} s x ${ROUNDS} rounds`,
  );
  console.log(
    "relay                | frames in | delivered | relay cpu% | µs/frame in | µs/delivery",
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const setup of setups) {
      const r = await measure(setup);
      console.log(
        `${r.label.padEnd(20)} | ${String(r.framesIn).padStart(9)} | ${(r.delivered * 100).toFixed(1).padStart(8)}% | ${r.cpuPercent.toFixed(1).padStart(10)} | ${r.usPerFrameIn.toFixed(1).padStart(11)} | ${r.usPerDelivery.toFixed(1).padStart(11)}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
