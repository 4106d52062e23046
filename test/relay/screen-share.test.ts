// Screen shares through the real relay (docs/PROTOCOL.md, "Screen sharing"): a share is a second
// connection of its owner, admitted only with the owner's share key. Receivers that joined with
// shares=1 get its presence and frames; an old-protocol receiver, a v1 receiver without the flag
// and the owner itself never do. Forged owners and keys are refused with share_refused (4040);
// the owner leaving ends the share (4041).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  CloseCode,
  encodeH264Frame,
  encodeVideoFrame,
  FrameKind,
  isKeyFrame,
  type JoinOptions,
  LEGACY_ROOM,
  readSenderId,
  roomUrl,
  writeAckFor,
} from "../../protocol/index.ts";
import { TestPeer } from "../support/peer.ts";

let relay: SpawnedRelay;
const open: TestPeer[] = [];

beforeAll(async () => {
  relay = await startRelay();
}, 20_000);

afterAll(async () => {
  for (const peer of open) if (peer.closed === null) peer.close();
  await relay?.stop();
});

async function join(name: string, options: JoinOptions, room = LEGACY_ROOM) {
  const peer = await TestPeer.joinWith(roomUrl(relay.wsUrl, room, { name, ...options }));
  open.push(peer);
  if (options.ack) {
    // Acks every video frame, as the page and the CLI do, so the window never closes.
    peer.ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") return;
      const frame = new Uint8Array(event.data as ArrayBuffer);
      if (frame[1] !== FrameKind.VideoJpeg && frame[1] !== FrameKind.VideoH264) return;
      const ack = new Uint8Array(20);
      writeAckFor(ack, frame);
      peer.ws.send(ack);
    });
  }
  return peer;
}

/** Opens a would-be share and returns how it ended (error code, close code). */
async function refusedShare(owner: number, key: string, room = LEGACY_ROOM) {
  const peer = await TestPeer.connect(roomUrl(relay.wsUrl, room, { screen: { owner, key } }));
  const closed = await peer.waitForClose(5000);
  const error = peer.controls.find((c) => c.type === "error");
  return { closed, error, welcomed: peer.controls.some((c) => c.type === "welcome") };
}

const videoFrom = (peer: TestPeer, id: number) =>
  peer.binary.filter((f) => f[1] !== FrameKind.Audio && readSenderId(f) === id);

test("a share reaches only receivers that take shares; forged claims are refused; the owner's leave ends it", async () => {
  const owner = await join("ada", { ack: true, shares: true, layers: true });
  const key = owner.welcome.shareKey as string;
  expect(typeof key).toBe("string");
  const viewer = await join("sam", { ack: true, shares: true });
  const plainAcking = await join("pat", { ack: true });
  const plain = await join("nia", {});
  const legacy = await TestPeer.connect(`${relay.wsUrl}/`);
  open.push(legacy);
  // Without shares=1 there is no key to share with.
  expect(plainAcking.welcome.shareKey).toBeUndefined();

  // Forged claims: a wrong key, an owner that isn't here, someone else's id with your key.
  for (const [id, secret] of [
    [owner.welcome.id, "not-the-key"],
    [999_999, key],
    [plainAcking.welcome.id, key],
  ] as const) {
    const refused = await refusedShare(id, secret);
    expect(refused.welcomed).toBe(false);
    expect(refused.closed.code).toBe(CloseCode.ShareRefused);
    expect(refused.error).toMatchObject({ code: "share_refused" });
    expect((refused.error as { message: string }).message).toContain("share key");
  }
  const malformed = await TestPeer.connect(
    `${relay.wsUrl}/v1/rooms/${LEGACY_ROOM}?source=screen&owner=abc&share=x`,
  );
  expect((await malformed.waitForClose()).code).toBe(CloseCode.ShareRefused);

  const share = await TestPeer.joinWith(
    roomUrl(relay.wsUrl, LEGACY_ROOM, { screen: { owner: owner.welcome.id, key } }),
  );
  open.push(share);
  const shareId = share.welcome.id;
  expect(share.welcome.name).toBe("ada");
  expect(share.welcome.peers).toEqual([]);
  const joined = await viewer.waitForControl("join", (m) => m.peer.id === shareId);
  expect(joined.peer).toMatchObject({ source: "screen", owner: owner.welcome.id, name: "ada" });
  await owner.waitForControl("join", (m) => m.peer.id === shareId);
  // A late joiner that takes shares sees it in its welcome; one that doesn't, doesn't.
  const lateViewer = await join("lee", { ack: true, shares: true });
  expect(lateViewer.welcome.peers.some((p) => p.id === shareId && p.source === "screen")).toBe(
    true,
  );
  const latePlain = await join("lou", { ack: true });
  expect(latePlain.welcome.peers.some((p) => p.id === shareId)).toBe(false);

  // The share's layers and frames; the owner's camera frames alongside.
  share.ws.send(JSON.stringify({ type: "layers", layers: [{ width: 320, height: 240 }] }));
  const screenJpeg = makeJpeg(320, 240, 7);
  const cameraJpeg = makeJpeg(160, 120, 1);
  const now = () => performance.timeOrigin + performance.now();
  for (let i = 0; i < 10; i++) {
    share.ws.send(encodeVideoFrame(screenJpeg, now(), i));
    owner.ws.send(encodeVideoFrame(cameraJpeg, now(), i));
    await Bun.sleep(50);
  }
  await viewer.waitFor(() => videoFrom(viewer, shareId).length >= 10, "10 share frames");
  await lateViewer.waitFor(() => videoFrom(lateViewer, shareId).length >= 10, "share frames");
  for (const peer of [plainAcking, plain, latePlain]) {
    await peer.waitFor(() => videoFrom(peer, owner.welcome.id).length >= 10, "camera frames");
  }
  await legacy.waitFor(() => legacy.texts.length >= 10, "legacy camera frames");
  await Bun.sleep(300);
  const screenBase64 = Buffer.from(screenJpeg).toString("base64");
  expect(legacy.texts.filter((t) => t === screenBase64)).toEqual([]);
  for (const peer of [plainAcking, plain, latePlain, owner]) {
    expect(videoFrom(peer, shareId)).toEqual([]);
    // Nothing of the share in their presence either.
    const mentions = peer.controls.filter(
      (c) =>
        (c.type === "join" && c.peer.id === shareId) ||
        (c.type === "layers" && c.id === shareId) ||
        (c.type === "leave" && c.id === shareId),
    );
    if (peer !== owner) expect(mentions).toEqual([]);
  }
  expect(viewer.controls.some((c) => c.type === "layers" && c.id === shareId)).toBe(true);
  // The share receives nothing: no camera frames, no presence.
  expect(share.binary).toEqual([]);
  expect(share.controls.filter((c) => c.type === "join")).toEqual([]);

  // A share sends video only.
  share.ws.send(
    JSON.stringify({ type: "audio_track", codec: "opus", sampleRate: 48000, channels: 1 }),
  );
  const refusal = await share.waitForControl("error");
  expect(refusal.code).toBe("bad_control");

  // The owner leaves: its share ends, and receivers that saw it see it go.
  owner.close();
  const ended = await share.waitForClose();
  expect(ended.code).toBe(CloseCode.ShareEnded);
  await viewer.waitForControl("leave", (m) => m.id === shareId);
  await Bun.sleep(200);
  expect(plainAcking.controls.some((c) => c.type === "leave" && c.id === shareId)).toBe(false);
  // The relay is still fine for everyone else.
  const after = await join("zoe", { ack: true });
  expect(after.welcome.peers.some((p) => p.name === "sam")).toBe(true);
}, 30_000);

test("a second share of the same owner replaces the first", async () => {
  const owner = await join("bo", { ack: true, shares: true }, "replace");
  const claim = { owner: owner.welcome.id, key: owner.welcome.shareKey as string };
  const first = await TestPeer.joinWith(roomUrl(relay.wsUrl, "replace", { screen: claim }));
  open.push(first);
  const second = await TestPeer.joinWith(roomUrl(relay.wsUrl, "replace", { screen: claim }));
  open.push(second);
  expect((await first.waitForClose()).code).toBe(CloseCode.ShareEnded);
  await Bun.sleep(100);
  expect(second.closed).toBeNull();
}, 20_000);

test("H.264 rules apply to a share as a sender of its own: codecs_needed from its audience, key frames for a late joiner", async () => {
  const room = "h264-share";
  const owner = await join("cy", { ack: true, shares: true, codecs: ["h264"] }, room);
  // A JPEG-only receiver that doesn't take shares: it must not make the share send JPEG.
  await join("jo", { ack: true }, room);
  const share = await TestPeer.joinWith(
    roomUrl(relay.wsUrl, room, {
      screen: { owner: owner.welcome.id, key: owner.welcome.shareKey as string },
    }),
  );
  open.push(share);
  // Nobody takes it yet: neither codec is needed.
  expect(await share.waitForControl("codecs_needed")).toMatchObject({ jpeg: false, h264: false });
  const viewer = await join("vi", { ack: true, shares: true, codecs: ["h264"] }, room);
  await share.waitForControl("codecs_needed", (m) => m.h264 && !m.jpeg);
  const now = () => performance.timeOrigin + performance.now();
  const unit = new Uint8Array([0, 0, 0, 1, 0x65, 1, 2, 3]);
  let sequence = 0;
  const send = (key: boolean) => share.ws.send(encodeH264Frame(unit, now(), sequence++, key));
  send(true);
  for (let i = 0; i < 4; i++) send(false);
  const shareId = share.welcome.id;
  await viewer.waitFor(() => videoFrom(viewer, shareId).length >= 5, "5 kind 4 frames");
  // A late joiner waits for a key frame: the relay asks the share for one.
  const late = await join("la", { ack: true, shares: true, codecs: ["h264"] }, room);
  await share.waitForControl("keyframe_request");
  send(false);
  send(true);
  send(false);
  await late.waitFor(() => videoFrom(late, shareId).length >= 2, "key frame and one after");
  const first = videoFrom(late, shareId)[0] as Uint8Array;
  expect(first[1]).toBe(FrameKind.VideoH264);
  expect(isKeyFrame(first)).toBe(true);
  // A JPEG-only receiver that takes shares: now the share must send JPEG too.
  await join("jp", { ack: true, shares: true }, room);
  await share.waitForControl("codecs_needed", (m) => m.h264 && m.jpeg);
}, 20_000);
