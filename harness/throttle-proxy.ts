// A TCP proxy on 127.0.0.1 that limits the bandwidth from the relay to the client (a weak
// downlink), for tests and the bench of layers. Client → relay bytes pass untouched. Bytes from
// the relay wait in a small queue drained at `bytesPerSecond`; past QUEUE_LIMIT the proxy stops
// reading from the relay, so TCP pushes back on it like a real slow link. setRate() lifts or
// changes the limit while connections stay open.
import { connect, createServer, type Server, type Socket } from "node:net";

const TICK_MS = 5;
/** Bytes queued in the proxy before it stops reading (a router's small buffer). */
const QUEUE_LIMIT = 32 * 1024;

export interface ThrottleProxy {
  /** ws://127.0.0.1:PORT: use in place of the relay's URL. */
  wsUrl: string;
  port: number;
  /** Bytes per second from the relay to the client; Infinity: no limit. */
  setRate(bytesPerSecond: number): void;
  /** Bytes forwarded to clients so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  queue: Buffer[];
  queued: number;
  /** Unused fraction of a byte from the last tick (low rates stay exact). */
  credit: number;
}

export async function startThrottleProxy(
  relayPort: number,
  bytesPerSecond: number,
): Promise<ThrottleProxy> {
  let rate = bytesPerSecond;
  let forwarded = 0;
  const pairs = new Set<Pair>();
  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: "127.0.0.1", port: relayPort });
    upstream.setNoDelay(true);
    const pair: Pair = { client, upstream, queue: [], queued: 0, credit: 0 };
    pairs.add(pair);
    client.on("data", (data) => upstream.write(data));
    upstream.on("data", (data: Buffer) => {
      pair.queue.push(data);
      pair.queued += data.byteLength;
      if (pair.queued > QUEUE_LIMIT) upstream.pause();
      if (rate === Number.POSITIVE_INFINITY) drain(pair, Number.POSITIVE_INFINITY);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  // Each tick a connection may send rate × tick bytes (what it can't use is not saved up).
  const timer = setInterval(() => {
    const budget = rate === Number.POSITIVE_INFINITY ? rate : (rate * TICK_MS) / 1000;
    for (const pair of pairs) drain(pair, budget + pair.credit);
  }, TICK_MS);

  function drain(pair: Pair, budget: number): void {
    let left = Number.isFinite(budget) ? budget : Number.POSITIVE_INFINITY;
    while (pair.queue.length > 0 && left >= 1) {
      const head = pair.queue[0] as Buffer;
      const take = Math.min(head.byteLength, Math.floor(left));
      pair.client.write(take === head.byteLength ? head : head.subarray(0, take));
      if (take === head.byteLength) pair.queue.shift();
      else pair.queue[0] = head.subarray(take);
      pair.queued -= take;
      forwarded += take;
      left -= take;
    }
    pair.credit = pair.queue.length > 0 && Number.isFinite(left) ? left : 0;
    if (pair.queued <= QUEUE_LIMIT / 2 && pair.upstream.isPaused()) pair.upstream.resume();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    setRate(bytesPerSecond: number) {
      rate = bytesPerSecond;
    },
    get forwarded() {
      return forwarded;
    },
    async close() {
      clearInterval(timer);
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
