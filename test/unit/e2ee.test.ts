// Frame encryption (protocol/frame-encryption.ts) and the shared client pieces around it
// (client-core/): key format, layout, nonces, associated data, tamper and wrong-key rejection.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FrameDecryptor } from "../../client-core/frame-decryptor.ts";
import { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { REPLAY_WINDOW, ReplayWindow } from "../../client-core/replay-window.ts";
import {
  keyFromFragment,
  linkWithKey,
  pageLinkFor,
  parseKeyArgument,
} from "../../client-core/room-key.ts";
import {
  ENCRYPTED_FLAG,
  ENCRYPTION_OVERHEAD,
  encodeVideoFrame,
  FrameSealer,
  generateRoomKey,
  HEADER_BYTES,
  importRoomKey,
  isEncryptedFrame,
  NONCE_BYTES,
  openFrame,
  parseRoomKey,
  readHeader,
  stampSenderId,
  TAG_BYTES,
  writeHeader,
} from "../../protocol/index.ts";
import { chooseKey, fragmentFor } from "../../web/room/room-encryption.ts";

const KEY = "AAECAwQFBgcICQoLDA0ODw"; // bytes 00..0f
const OTHER_KEY = "8PHy8_T19vf4-fr7_P3-_w"; // bytes f0..ff

function jpegLike(bytes: number): Uint8Array {
  const jpeg = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) jpeg[i] = (i * 7 + 3) & 0xff;
  jpeg[0] = 0xff;
  jpeg[1] = 0xd8;
  return jpeg;
}

test("room keys: 128 random bits as 22 base64url characters, and nothing else parses", async () => {
  const keys = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const key = generateRoomKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(parseRoomKey(key)).toHaveLength(16);
    keys.add(key);
  }
  expect(keys.size).toBe(200);
  expect([...(parseRoomKey(KEY) ?? [])]).toEqual([...Array(16).keys()]);
  expect([...(parseRoomKey(OTHER_KEY) ?? [])]).toEqual([...Array(16).keys()].map((i) => 0xf0 + i));
  for (const bad of [
    "",
    KEY.slice(1),
    `${KEY}A`,
    "AAECAwQFBgcICQoLDA0OD+",
    "AAECAwQFBgcICQoLDA0ODx",
    `${KEY.slice(0, 21)}=`,
  ]) {
    expect(parseRoomKey(bad)).toBeNull();
  }
  await expect(importRoomKey("short")).rejects.toThrow(RangeError);
});

test("encrypted layout: same header with flag 0x0001, then nonce, ciphertext, tag (28 bytes more)", async () => {
  const key = await importRoomKey(KEY);
  const sealer = new FrameSealer(key);
  const plain = encodeVideoFrame(jpegLike(20_000), 1700000000000.5, 7);
  const sealed = await sealer.seal(plain);
  expect(sealed.byteLength - plain.byteLength).toBe(ENCRYPTION_OVERHEAD);
  expect(ENCRYPTION_OVERHEAD).toBe(NONCE_BYTES + TAG_BYTES);
  expect(ENCRYPTION_OVERHEAD).toBe(28);
  expect(isEncryptedFrame(sealed)).toBe(true);
  expect(readHeader(sealed)).toEqual({ ...readHeader(plain), flags: ENCRYPTED_FLAG });
  // Nonce = 8-byte salt + counter 0 (big-endian) for the first frame.
  expect([...sealed.subarray(HEADER_BYTES + 8, HEADER_BYTES + 12)]).toEqual([0, 0, 0, 0]);
  expect(
    Buffer.from(sealed).includes(Buffer.from(plain.subarray(HEADER_BYTES, HEADER_BYTES + 64))),
  ).toBe(false);
  const opened = await openFrame(key, sealed);
  if (!opened.ok) throw new Error(opened.problem);
  expect(opened.frame).toEqual(plain);
  expect(opened.counter).toBe(0);
});

test("nonces never repeat: counter per sealer, a fresh salt per sealer (a restarted sender)", async () => {
  const key = await importRoomKey(KEY);
  const seen = new Set<string>();
  for (let s = 0; s < 20; s++) {
    const sealer = new FrameSealer(key);
    for (let i = 0; i < 50; i++) seen.add(Buffer.from(sealer.nextNonce()).toString("hex"));
  }
  expect(seen.size).toBe(1000);
  // Concurrent seals take distinct nonces before any await.
  const sealer = new FrameSealer(key);
  const frame = encodeVideoFrame(jpegLike(100), 1, 1);
  const sealed = await Promise.all(Array.from({ length: 10 }, () => sealer.seal(frame)));
  const nonces = sealed.map((m) =>
    Buffer.from(m.subarray(HEADER_BYTES, HEADER_BYTES + 12)).toString("hex"),
  );
  expect(new Set(nonces).size).toBe(10);
});

test("the sender id is the relay's to write: stamping it keeps the frame valid", async () => {
  const key = await importRoomKey(KEY);
  const sealed = await new FrameSealer(key).seal(encodeVideoFrame(jpegLike(500), 5, 9));
  stampSenderId(sealed, 0xdeadbeef);
  const opened = await openFrame(key, sealed);
  expect(opened.ok).toBe(true);
  if (opened.ok) expect(readHeader(opened.frame).senderId).toBe(0xdeadbeef);
});

test("tamper: any flipped bit outside the sender id, header or payload, is rejected", async () => {
  const key = await importRoomKey(KEY);
  const sealed = await new FrameSealer(key).seal(
    encodeVideoFrame(jpegLike(300), 1700000000000.5, 7),
  );
  let rejected = 0;
  for (let i = 0; i < sealed.byteLength; i++) {
    if (i >= 4 && i < 8) continue; // sender id: written by the relay
    for (const bit of [0x01, 0x80]) {
      const copy = Uint8Array.from(sealed);
      copy[i] = (copy[i] as number) ^ bit;
      const opened = await openFrame(key, copy);
      expect(opened.ok).toBe(false);
      rejected++;
    }
  }
  expect(rejected).toBe((sealed.byteLength - 4) * 2);
  // Cut short, or a plain frame: rejected without trying.
  expect(await openFrame(key, sealed.subarray(0, HEADER_BYTES + ENCRYPTION_OVERHEAD))).toEqual({
    ok: false,
    problem: "too_short",
  });
  expect(await openFrame(key, encodeVideoFrame(jpegLike(10), 1, 1))).toEqual({
    ok: false,
    problem: "not_encrypted",
  });
});

test("any payload kind and flags: the layer bits and an audio kind are sealed and authenticated", async () => {
  const key = await importRoomKey(KEY);
  const sealer = new FrameSealer(key);
  const audio = new Uint8Array(HEADER_BYTES + 60).fill(0x55);
  writeHeader(audio, { kind: 3, flags: 0b100, senderId: 0, captureTimeMs: 42, sequence: 3 });
  const sealed = await sealer.seal(audio);
  expect(readHeader(sealed)).toMatchObject({ kind: 3, flags: 0b101 });
  const opened = await openFrame(key, sealed);
  expect(opened.ok && opened.frame).toEqual(audio);
  const relayered = Uint8Array.from(sealed);
  relayered[2] = 0b011; // a relay moving the frame to another layer
  expect((await openFrame(key, relayered)).ok).toBe(false);
});

test("the wrong key never opens a frame", async () => {
  const sealed = await new FrameSealer(await importRoomKey(KEY)).seal(
    encodeVideoFrame(jpegLike(1000), 1, 1),
  );
  expect(await openFrame(await importRoomKey(OTHER_KEY), sealed)).toEqual({
    ok: false,
    problem: "failed",
  });
});

test("decryptor: states per sender, counts, in-order results, replays dropped", async () => {
  const key = await importRoomKey(KEY);
  const encryptor = new FrameEncryptor(key);
  const sealedFrom = async (sender: number, seq: number) => {
    const message = await encryptor.seal(encodeVideoFrame(jpegLike(200 + seq), seq, seq));
    stampSenderId(message, sender);
    return message;
  };
  const decryptor = new FrameDecryptor(key);
  const frames = await Promise.all([1, 2, 3, 4].map((seq) => sealedFrom(7, seq)));
  const results = await Promise.all(frames.map((frame) => decryptor.open(frame)));
  expect(results.map((r) => r.ok && readHeader(r.frame).sequence)).toEqual([1, 2, 3, 4]);
  expect(decryptor.stateOf(7)).toBe("ok");
  // The same frame again (a replay by the relay): dropped, state unchanged.
  expect((await decryptor.open(frames[1] as Uint8Array)).ok).toBe(false);
  expect(decryptor.counts.replayed).toBe(1);
  // A wrong-key sender and a plain sender.
  const wrong = await new FrameSealer(await importRoomKey(OTHER_KEY)).seal(
    encodeVideoFrame(jpegLike(10), 1, 1),
  );
  stampSenderId(wrong, 8);
  expect(await decryptor.open(wrong)).toEqual({ ok: false, senderId: 8, state: "cant_decrypt" });
  const plain = encodeVideoFrame(jpegLike(10), 1, 1);
  stampSenderId(plain, 9);
  expect(await decryptor.open(plain)).toEqual({ ok: false, senderId: 9, state: "not_encrypted" });
  expect(decryptor.counts).toEqual({ opened: 4, failed: 1, replayed: 1, unencrypted: 1, noKey: 0 });
  // Without a key: plain frames pass, encrypted ones are dropped as "no key".
  const keyless = new FrameDecryptor(null);
  expect((await keyless.open(plain)).ok).toBe(true);
  expect(await keyless.open(frames[0] as Uint8Array)).toEqual({
    ok: false,
    senderId: 7,
    state: "no_key",
  });
});

test("key in a link: fragment only, parsed from a bare key or a whole link", () => {
  expect(keyFromFragment(`#key=${KEY}`)).toBe(KEY);
  expect(keyFromFragment("#other=1")).toBeNull();
  expect(linkWithKey("http://127.0.0.1:8765/r/team?token=a.b.c", KEY)).toBe(
    `http://127.0.0.1:8765/r/team?token=a.b.c#key=${KEY}`,
  );
  expect(pageLinkFor("wss://relay.example:443", "team", KEY)).toBe(
    `https://relay.example/r/team#key=${KEY}`,
  );
  expect(parseKeyArgument(` ${KEY} `)).toEqual({ key: KEY, room: null, relay: null, token: null });
  expect(parseKeyArgument(`https://relay.example:8443/r/team?token=a.b.c#key=${KEY}`)).toEqual({
    key: KEY,
    room: "team",
    relay: "wss://relay.example:8443",
    token: "a.b.c",
  });
  expect(() => parseKeyArgument("http://h/r/team")).toThrow(/no #key/);
  expect(() => parseKeyArgument("tooshort")).toThrow(/22 base64url/);
  expect(() => parseKeyArgument(`http://h/r/team#key=${KEY}x`)).toThrow(/22 base64url/);
});

test("the documented encrypted example, byte for byte, opens to the documented plain frame", async () => {
  const key = await importRoomKey(KEY);
  const salt = Uint8Array.from([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]);
  const plain = encodeVideoFrame(new Uint8Array([0xff, 0xd8, 0xff]), 1700000000000.5, 7);
  const sealed = await new FrameSealer(key, salt).seal(plain);
  const doc = readFileSync(`${import.meta.dir}/../../docs/PROTOCOL.md`, "utf8");
  const block = /Example: the 3-byte "JPEG"[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
  const documented = block
    .split("\n")
    .map((line) => line.replace(/ {3,}\S.*$/, "")) // drop the notes at the end of each line
    .join(" ")
    .trim()
    .split(/\s+/)
    .map((byte) => Number.parseInt(byte, 16));
  expect(documented).toEqual([...sealed]);
  expect(documented).toHaveLength(plain.byteLength + ENCRYPTION_OVERHEAD);
  const opened = await openFrame(key, Uint8Array.from(documented));
  expect(opened.ok && [...opened.frame]).toEqual([...plain]);
});

test("page key choice: the link's key, a fresh one on request, refusals said in one sentence", () => {
  const scope = globalThis as { isSecureContext?: boolean };
  const before = scope.isSecureContext;
  try {
    scope.isSecureContext = true;
    expect(chooseKey(`#key=${KEY}`, true)).toEqual({ ok: true, key: KEY });
    expect(chooseKey(`#key=${KEY}`, false)).toEqual({ ok: true, key: null });
    const fresh = chooseKey("", true);
    expect(fresh.ok && parseRoomKey(fresh.key ?? "")).toBeTruthy();
    const bad = chooseKey("#key=short", true);
    expect(bad.ok === false && bad.message).toMatch(/not a room key/);
    scope.isSecureContext = false;
    const insecure = chooseKey(`#key=${KEY}`, true);
    expect(insecure.ok === false && insecure.message).toMatch(/https:\/\//);
    expect(fragmentFor(KEY)).toBe(`#key=${KEY}`);
    expect(fragmentFor(null)).toBe("");
  } finally {
    scope.isSecureContext = before;
  }
});

test("replay window: each counter once, reordering within the window accepted, too old refused", () => {
  const window = new ReplayWindow();
  expect([5, 6, 8, 7, 7, 6, 9].map((c) => window.accept(c))).toEqual([
    true,
    true,
    true,
    true,
    false,
    false,
    true,
  ]);
  expect(window.accept(9 + REPLAY_WINDOW)).toBe(true);
  expect(window.accept(9)).toBe(false); // fell out of the window
  expect(window.accept(10)).toBe(true); // still inside, never seen
  expect(window.accept(10)).toBe(false);
  expect(window.accept(0xffffffff)).toBe(true); // a jump clears everything behind it
  expect(window.accept(0xffffffff - 1)).toBe(true);
});
