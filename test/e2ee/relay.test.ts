// The relay's side of end-to-end encryption, with the real relay process: it forwards encrypted
// frames byte for byte (it does no crypto), shows ?e2ee=1 in presence, refuses other flag bits,
// and never converts encrypted frames for old-protocol receivers: they get nothing from an
// encrypted sender (plain senders still reach them), which the relay logs once and counts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  ENCRYPTED_FLAG,
  encodeVideoFrame,
  FrameSealer,
  importRoomKey,
  isEncryptedFrame,
  LEGACY_ROOM,
  openFrame,
  readHeader,
  writeHeader,
} from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";

let relay: SpawnedRelay;
const peers: TestPeer[] = [];
const KEY = "AAECAwQFBgcICQoLDA0ODw";

beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  for (const peer of peers) peer.close();
  await relay.stop();
});

async function join(room: string, name: string, e2ee: boolean) {
  const peer = await TestPeer.joinWith(
    `${relay.wsUrl}/v1/rooms/${room}?name=${name}${e2ee ? "&e2ee=1" : ""}`,
  );
  peers.push(peer);
  return peer;
}

test("encrypted frames pass unchanged but for the sender id; presence says who encrypts", async () => {
  const alice = await join("vault", "alice", true);
  const bob = await join("vault", "bob", false);
  expect(bob.welcome.peers).toEqual([
    { id: alice.welcome.id, name: "alice", legacy: false, e2ee: true },
  ]);
  const joined = await alice.waitForControl("join");
  expect(joined.peer).toEqual({ id: bob.welcome.id, name: "bob", legacy: false });

  const key = await importRoomKey(KEY);
  const sealed = await new FrameSealer(key).seal(encodeVideoFrame(makeJpeg(32, 24, 3), 1234.5, 9));
  alice.ws.send(sealed);
  const received = await bob.until(() => bob.binary[0], "the sealed frame");
  expect(readHeader(received)).toMatchObject({
    flags: ENCRYPTED_FLAG,
    senderId: alice.welcome.id,
    sequence: 9,
  });
  expect(received.subarray(0, 4)).toEqual(sealed.subarray(0, 4));
  expect(received.subarray(8)).toEqual(sealed.subarray(8));
  expect((await openFrame(key, received)).ok).toBe(true);

  // Other flag bits stay reserved: refused, nothing forwarded.
  const odd = encodeVideoFrame(makeJpeg(8, 8, 1), 1, 1);
  writeHeader(odd, { kind: 1, flags: 0x8000, senderId: 0, captureTimeMs: 1, sequence: 1 });
  alice.ws.send(odd);
  const error = await alice.waitForControl("error");
  expect(error.code).toBe("frame_bad_flags");
  // An encrypted frame with nothing inside its nonce and tag: refused by its length alone.
  alice.ws.send(sealed.subarray(0, 20 + 28));
  await alice.waitForControl("error", (e) => e.code === "frame_empty");
  await Bun.sleep(200);
  expect(bob.binary).toHaveLength(1);
});

test("old-protocol receivers get nothing from an encrypted sender, logged once and counted", async () => {
  const old = await TestPeer.connect(`${relay.wsUrl}/`);
  peers.push(old);
  const sealer = new FrameSealer(await importRoomKey(KEY));
  const secret = await join(LEGACY_ROOM, "secret", true);
  const plain = await join(LEGACY_ROOM, "plain", false);
  const jpeg = makeJpeg(32, 24, 5);
  for (let seq = 0; seq < 5; seq++) {
    secret.ws.send(await sealer.seal(encodeVideoFrame(jpeg, Date.now(), seq)));
    plain.ws.send(encodeVideoFrame(jpeg, Date.now(), seq));
    await Bun.sleep(20);
  }
  // The plain sender's frames reach the old client (as base64 JPEG); the encrypted ones don't.
  await old.waitFor(() => old.texts.length >= 5, "plain frames", 5000);
  await Bun.sleep(300);
  expect(old.texts).toHaveLength(5);
  for (const text of old.texts) expect(text.startsWith("/9j/")).toBe(true);
  // v1 peers get both senders' frames, the encrypted ones still encrypted.
  await plain.waitFor(() => plain.binary.length >= 5, "encrypted frames at plain", 5000);
  expect(plain.binary.every(isEncryptedFrame)).toBe(true);

  const notes = relay.logs.filter((entry) => entry.event === "e2ee_not_converted");
  expect(notes).toEqual([
    expect.objectContaining({
      room: LEGACY_ROOM,
      id: secret.welcome.id,
      name: "secret",
      legacyPeers: 1,
    }),
  ]);
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text();
  expect(metrics).toMatch(/^framecast_e2ee_frames_not_converted_total 5$/m);
});
