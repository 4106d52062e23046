// Hostile and broken input: the relay answers clearly, stays up, and honest peers keep receiving.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { CloseCode, encodeVideoFrame, HEADER_BYTES } from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";

let relay: SpawnedRelay;
let sender: TestPeer;
let watcher: TestPeer;
const MAX_FRAME_BYTES = 64 * 1024;

beforeAll(async () => {
  relay = await startRelay(["--max-frame-bytes", String(MAX_FRAME_BYTES), "--max-peers", "40"]);
  sender = await TestPeer.join(relay.wsUrl, "main", "honest-sender");
  watcher = await TestPeer.join(relay.wsUrl, "main", "honest-watcher");
});

afterAll(async () => {
  sender.close();
  watcher.close();
  const code = await relay.stop();
  expect(code).toBe(0);
});

/** The honest pair still works: one more frame goes through byte-for-byte. */
async function honestPeersStillWork(): Promise<void> {
  const before = watcher.binary.length;
  const jpeg = makeJpeg(16, 16, before);
  sender.ws.send(encodeVideoFrame(jpeg, Date.now(), before));
  await watcher.waitFor(() => watcher.binary.length === before + 1, "honest frame");
  expect(Buffer.compare((watcher.binary.at(-1) as Uint8Array).subarray(HEADER_BYTES), jpeg)).toBe(
    0,
  );
  expect(relay.proc.exitCode).toBeNull();
}

async function metric(name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

test.each([
  ["shorter than the header", new Uint8Array(7), "frame_too_short"],
  [
    "wrong version",
    (() => {
      const m = encodeVideoFrame(makeJpeg(8, 8, 1), 0, 0);
      m[0] = 9;
      return m;
    })(),
    "frame_bad_version",
  ],
  [
    "wrong kind",
    (() => {
      const m = encodeVideoFrame(makeJpeg(8, 8, 1), 0, 0);
      m[1] = 7;
      return m;
    })(),
    "frame_bad_kind",
  ],
  ["header with no JPEG", encodeVideoFrame(new Uint8Array(0), 0, 0), "frame_empty"],
  [
    "bigger than --max-frame-bytes",
    encodeVideoFrame(new Uint8Array(MAX_FRAME_BYTES + 1), 0, 0),
    "frame_too_large",
  ],
] as const)("binary message %s → error, dropped, nothing relayed", async (_what, message, code) => {
  const bad = await TestPeer.join(relay.wsUrl, "main", "bad-binary");
  const framesBefore = watcher.binary.length;
  const rejectedBefore = await metric("framecast_rejected_messages_total", `{reason="${code}"}`);
  bad.ws.send(message);
  const error = await bad.waitForControl("error");
  expect(error.code).toBe(code);
  expect(error.message.length).toBeGreaterThan(5);
  expect(await metric("framecast_rejected_messages_total", `{reason="${code}"}`)).toBe(
    rejectedBefore + 1,
  );
  await honestPeersStillWork();
  expect(watcher.binary.length).toBe(framesBefore + 1);
  expect(bad.closed).toBeNull();
  bad.close();
});

test("text that is neither JSON nor base64, and invalid JSON, are refused with an error", async () => {
  const bad = await TestPeer.join(relay.wsUrl, "main", "bad-text");
  bad.ws.send("hello, this is not a frame");
  bad.ws.send("{not json");
  bad.ws.send('{"type":"welcome","id":"x"}');
  await bad.waitFor(
    () => bad.controls.filter((c) => c.type === "error").length === 3,
    "three errors",
  );
  const codes = bad.controls
    .filter((c) => c.type === "error")
    .map((c) => (c as { code: string }).code);
  expect(codes).toEqual(["bad_text", "bad_control", "bad_control"]);
  await honestPeersStillWork();
  bad.close();
});

test("old-protocol garbage is dropped and counted without a reply an old client would choke on", async () => {
  const legacy = await TestPeer.connect(`${relay.wsUrl}/`);
  const listener = await TestPeer.connect(`${relay.wsUrl}/`);
  const lobbyWatcher = await TestPeer.join(relay.wsUrl, "lobby", "lobby-watcher");
  const before = await metric("framecast_rejected_messages_total", `{reason="bad_text"}`);
  legacy.ws.send("not base64 at all!");
  legacy.ws.send("/9j/####"); // JPEG-looking prefix, broken body: caught while decoding for v1 peers
  legacy.ws.send(Buffer.from("GIF89a-not-a-jpeg").toString("base64"));
  legacy.ws.send("{}");
  await Bun.sleep(300);
  expect(await metric("framecast_rejected_messages_total", `{reason="bad_text"}`)).toBe(before + 3);
  expect(
    await metric("framecast_rejected_messages_total", `{reason="bad_control"}`),
  ).toBeGreaterThanOrEqual(3);
  expect(legacy.texts.length + legacy.controls.length).toBe(0);
  expect(listener.texts.length).toBe(0);
  // A valid old-protocol frame after all that still reaches both formats.
  const jpeg = makeJpeg(16, 16, 77);
  legacy.ws.send(Buffer.from(jpeg).toString("base64"));
  await listener.waitFor(() => listener.texts.length === 1, "legacy frame to legacy listener");
  await lobbyWatcher.waitFor(
    () => lobbyWatcher.binary.some((m) => Buffer.compare(m.subarray(HEADER_BYTES), jpeg) === 0),
    "legacy frame converted for v1",
  );
  legacy.close();
  listener.close();
  lobbyWatcher.close();
  await honestPeersStillWork();
});

test("a message over the WebSocket size limit closes only that connection with 1009", async () => {
  const bad = await TestPeer.join(relay.wsUrl, "main", "huge");
  bad.ws.send(new Uint8Array(MAX_FRAME_BYTES * 2)); // past the base64-sized payload limit
  const closed = await bad.waitForClose();
  expect(closed.code).toBe(CloseCode.MessageTooBig);
  await honestPeersStillWork();
});

test("a bad room name is refused before the upgrade with 400 and a plain message", async () => {
  for (const room of ["has%20space", "x".repeat(65), "semi;colon", "dots.dots"]) {
    const response = await fetch(`${relay.httpUrl}/v1/rooms/${room}`, {
      headers: {
        upgrade: "websocket",
        connection: "upgrade",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("invalid room name");
  }
  await expect(TestPeer.connect(`${relay.wsUrl}/v1/rooms/bad.room`)).rejects.toThrow();
  await honestPeersStillWork();
});

test("a full room refuses the next peer with an error and close code 4001", async () => {
  const small = await startRelay(["--max-peers", "2", "--max-rooms", "1"]);
  try {
    const a = await TestPeer.join(small.wsUrl, "tiny", "a");
    await TestPeer.join(small.wsUrl, "tiny", "b");
    const third = await TestPeer.connect(`${small.wsUrl}/v1/rooms/tiny?name=c`);
    const error = await third.waitForControl("error");
    expect(error.code).toBe("room_full");
    expect((await third.waitForClose()).code).toBe(CloseCode.RoomFull);
    const other = await TestPeer.connect(`${small.wsUrl}/v1/rooms/another?name=d`);
    expect((await other.waitForControl("error")).code).toBe("too_many_rooms");
    expect((await other.waitForClose()).code).toBe(CloseCode.TooManyRooms);
    // The admitted peers never heard of the refused ones.
    await Bun.sleep(100);
    expect(a.controls.filter((c) => c.type === "join").length).toBe(1);
  } finally {
    await small.stop();
  }
});

test("a peer that disconnects mid-frame does not disturb the room", async () => {
  const { port } = relay;
  const jpeg = makeJpeg(64, 64, 5);
  const frame = encodeVideoFrame(jpeg, Date.now(), 0);
  // Hand-written upgrade, then half a WebSocket frame, then a hard close.
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data() {}, open() {} },
  });
  socket.write(
    "GET /v1/rooms/main?name=cutoff HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  await watcher.waitForControl("join", (j) => j.peer.name === "cutoff");
  // Masked binary frame header claiming the full length, then only part of the payload.
  const header = new Uint8Array([
    0x82,
    0xfe,
    (frame.byteLength >> 8) & 0xff,
    frame.byteLength & 0xff,
    0,
    0,
    0,
    0,
  ]);
  socket.write(header);
  socket.write(frame.subarray(0, frame.byteLength >> 1));
  await Bun.sleep(50);
  socket.end();
  await watcher.waitForControl("leave");
  await honestPeersStillWork();
});

test("hundreds of connects and disconnects in a loop leave the relay healthy", async () => {
  const ROUNDS = 300;
  const openedBefore = await metric("framecast_connections_opened_total");
  for (let batch = 0; batch < ROUNDS / 30; batch++) {
    const batchPeers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        TestPeer.connect(`${relay.wsUrl}/v1/rooms/churn-${i % 3}?name=c${i}`),
      ),
    );
    for (const peer of batchPeers) peer.close();
  }
  await Bun.sleep(300);
  expect(await metric("framecast_connections_opened_total")).toBe(openedBefore + ROUNDS);
  const rooms = (await (await fetch(`${relay.httpUrl}/v1/rooms`)).json()) as {
    rooms: Array<{ name: string }>;
  };
  expect(rooms.rooms.filter((r) => r.name.startsWith("churn-"))).toEqual([]);
  expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
  await honestPeersStillWork();
});
