// Chat, raised hands and host controls on a real relay with join tokens: stamping, the 2,000
// character limit, history replay, the order of hands, and moderation enforced by the relay
// (stopped sound no longer reaches others, a removed token is refused, a locked room refuses
// newcomers, a participant without `moderate` changes nothing). Also the admin HTTP API.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  type ChatMessage,
  CloseCode,
  encodeAudioPacket,
  encodeChat,
  encodeHand,
  encodeModerate,
  encodeRecording,
  encodeVideoFrame,
  FrameKind,
  type PeerInfo,
  readSenderId,
  writeAckFor,
} from "../../protocol/index.ts";
import type { TestPeer } from "../support/peer.ts";
import { OptionsPeer, SECRET, token, tryUpgrade } from "../support/secure-peer.ts";

const ADMIN = "admin-token-for-chat-tests-0123456789";
let relay: SpawnedRelay;
const open: TestPeer[] = [];

beforeAll(async () => {
  relay = await startRelay(["--auth-secret", SECRET, "--admin-token", ADMIN]);
});

afterAll(async () => {
  for (const peer of open) peer.close();
  expect(await relay.stop()).toBe(0);
});

const admin = { authorization: `Bearer ${ADMIN}` };

async function enter(room: string, name: string, options: { canModerate?: boolean } = {}) {
  const jwt = await token(room, name, options);
  const peer = await OptionsPeer.join(`${relay.wsUrl}/v1/rooms/${room}?token=${jwt}`);
  open.push(peer);
  return Object.assign(peer, { jwt });
}

const chats = (peer: TestPeer) => peer.controls.filter((c): c is ChatMessage => c.type === "chat");
const errors = (peer: TestPeer) => peer.controls.filter((c) => c.type === "error");
const lastUpdate = (peer: TestPeer, id: number): PeerInfo | undefined =>
  peer.controls
    .filter((c) => c.type === "peer_update" && c.peer.id === id)
    .map((c) => (c as { peer: PeerInfo }).peer)
    .at(-1);

test("chat is stamped with the sender's id, name and time, to everyone (the sender too)", async () => {
  const a = await enter("chat1", "alice");
  const b = await enter("chat1", "bob");
  const before = Date.now();
  a.ws.send(encodeChat({ text: "hello <b>room</b>" }));
  const got = await b.until(() => chats(b)[0], "bob's chat");
  expect(got).toMatchObject({ from: a.welcome.id, name: "alice", text: "hello <b>room</b>" });
  expect(got.time).toBeGreaterThanOrEqual(before - 1000);
  expect(got.history).toBeUndefined();
  await a.until(() => chats(a)[0], "alice's own echo");
  expect(a.welcome.moderation).toBe("member");
});

test("a chat message over 2,000 characters is refused with bad_chat and reaches nobody", async () => {
  const a = await enter("chat2", "alice");
  const b = await enter("chat2", "bob");
  a.ws.send(encodeChat({ text: "x".repeat(2001) }));
  a.ws.send(encodeChat({ text: "é".repeat(2000) }));
  const error = await a.until(() => errors(a)[0], "an error");
  expect(error).toMatchObject({ code: "bad_chat" });
  const ok = await b.until(() => chats(b)[0], "the 2,000 character one");
  expect(ok.text?.length).toBe(2000);
  await Bun.sleep(200);
  expect(chats(b)).toHaveLength(1);
});

test("a late joiner gets the last 200 messages of the room, oldest first, marked history", async () => {
  const a = await enter("chat3", "alice");
  for (let i = 0; i < 230; i++) a.ws.send(encodeChat({ text: `message ${i}` }));
  await a.until(() => chats(a).length >= 230 && true, "all echoes", 10_000);
  const late = await enter("chat3", "late");
  const history = await late.until(
    () => (chats(late).length >= 200 ? chats(late) : undefined),
    "history",
  );
  expect(history).toHaveLength(200);
  expect(history[0]?.text).toBe("message 30");
  expect(history[199]?.text).toBe("message 229");
  expect(history.every((m) => m.history === true && m.name === "alice")).toBe(true);
});

test("raised hands are kept in the order of raising and shown in presence", async () => {
  const a = await enter("hands", "alice");
  const b = await enter("hands", "bob");
  const c = await enter("hands", "carol");
  b.ws.send(encodeHand(true));
  await c.until(() => lastUpdate(c, b.welcome.id)?.hand, "bob's hand");
  a.ws.send(encodeHand(true));
  await c.until(() => lastUpdate(c, a.welcome.id)?.hand, "alice's hand");
  const bob = lastUpdate(c, b.welcome.id)?.hand as number;
  const alice = lastUpdate(c, a.welcome.id)?.hand as number;
  expect(bob).toBeLessThanOrEqual(alice);
  // Raising again keeps your place; a newcomer's welcome lists the hands.
  b.ws.send(encodeHand(true));
  const d = await enter("hands", "dave");
  const raised = d.welcome.peers
    .filter((p) => p.hand !== undefined)
    .sort((x, y) => (x.hand as number) - (y.hand as number) || x.id - y.id)
    .map((p) => p.name);
  expect(raised).toEqual(["bob", "alice"]);
  a.ws.send(encodeHand(false));
  await c.until(
    () =>
      c.controls.some(
        (m) => m.type === "peer_update" && m.peer.id === a.welcome.id && m.peer.hand === undefined,
      ),
    "alice's hand down",
  );
});

test("a participant without moderate sending moderation is refused and nothing happens", async () => {
  const a = await enter("nomod", "alice");
  const b = await enter("nomod", "bob");
  for (const text of [
    encodeModerate("remove", b.welcome.id),
    encodeModerate("stop", b.welcome.id, "sound"),
    encodeModerate("lock"),
    encodeModerate("end"),
  ]) {
    a.ws.send(text);
  }
  await a.until(() => (errors(a).length >= 4 ? true : undefined), "four refusals");
  expect(errors(a).every((e) => e.type === "error" && e.code === "not_moderator")).toBe(true);
  await Bun.sleep(200);
  expect(b.closed).toBeNull();
  expect(b.controls.some((m) => m.type === "moderation" || m.type === "peer_update")).toBe(false);
  // The room is not locked: a third joins.
  await enter("nomod", "carol");
});

test("a moderator stops B's sound: C no longer gets B's packets though B keeps sending; allow again", async () => {
  const mod = await enter("mod1", "host", { canModerate: true });
  expect(mod.welcome.moderation).toBe("moderator");
  const b = await enter("mod1", "bob");
  const c = await enter("mod1", "carol");
  let seq = 0;
  const sender = setInterval(() => {
    b.ws.send(encodeAudioPacket(new Uint8Array([0xfc, 1, 2, 3]), Date.now(), seq++));
  }, 20);
  try {
    await c.until(() => c.binary.length > 5 && true, "bob's audio");
    mod.ws.send(encodeModerate("stop", b.welcome.id, "sound"));
    const notice = await b.waitForControl("moderation");
    expect(notice).toMatchObject({ action: "stop", media: "sound", by: "host" });
    await c.until(
      () => lastUpdate(c, b.welcome.id)?.stopped?.includes("sound"),
      "stopped in presence",
    );
    await Bun.sleep(200);
    const count = c.binary.length;
    await Bun.sleep(600);
    expect(c.binary.length).toBe(count);
    mod.ws.send(encodeModerate("allow", b.welcome.id, "sound"));
    await c.until(() => c.binary.length > count + 5 && true, "bob's audio again");
  } finally {
    clearInterval(sender);
  }
});

test("a moderator stops B's screen: C no longer gets B's share though B keeps sharing, the camera still flows; allow again", async () => {
  const mod = await enter("mod1s", "host", { canModerate: true });
  const bJwt = await token("mod1s", "bob");
  const url = (query: string, jwt: string) => `${relay.wsUrl}/v1/rooms/mod1s?token=${jwt}&${query}`;
  const b = await OptionsPeer.join(url("ack=1&shares=1", bJwt));
  open.push(b);
  const c = await OptionsPeer.join(url("ack=1&shares=1", await token("mod1s", "carol")));
  open.push(c);
  // Carol acks every video frame, as the page and the CLI do (shares reach acking receivers).
  c.ws.addEventListener("message", (event) => {
    if (typeof event.data === "string") return;
    const frame = new Uint8Array(event.data as ArrayBuffer);
    if (frame[1] !== FrameKind.VideoJpeg) return;
    const ack = new Uint8Array(20);
    writeAckFor(ack, frame);
    c.ws.send(ack);
  });
  const share = await OptionsPeer.join(
    url(`source=screen&owner=${b.welcome.id}&share=${b.welcome.shareKey}`, bJwt),
  );
  open.push(share);
  const from = (id: number) =>
    c.binary.filter((f) => f[1] === FrameKind.VideoJpeg && readSenderId(f) === id).length;
  const picture = makeJpeg(64, 48, 3);
  let seq = 0;
  const sender = setInterval(() => {
    const now = performance.timeOrigin + performance.now();
    share.ws.send(encodeVideoFrame(picture, now, seq));
    b.ws.send(encodeVideoFrame(picture, now, seq++));
  }, 30);
  try {
    await c.until(() => from(share.welcome.id) > 5 && from(b.welcome.id) > 5, "share and camera");
    mod.ws.send(encodeModerate("stop", b.welcome.id, "screen"));
    await c.until(
      () => lastUpdate(c, b.welcome.id)?.stopped?.includes("screen"),
      "screen stopped in presence",
    );
    await Bun.sleep(200);
    const shared = from(share.welcome.id);
    const camera = from(b.welcome.id);
    await Bun.sleep(600);
    expect(from(share.welcome.id)).toBe(shared);
    expect(from(b.welcome.id)).toBeGreaterThan(camera + 5);
    mod.ws.send(encodeModerate("allow", b.welcome.id, "screen"));
    await c.until(() => from(share.welcome.id) > shared + 5 && true, "the share again");
  } finally {
    clearInterval(sender);
  }
});

test("a moderator removes B: B's socket closes with 4010 and the same token is refused", async () => {
  const mod = await enter("mod2", "host", { canModerate: true });
  const b = await enter("mod2", "bob");
  mod.ws.send(encodeModerate("remove", b.welcome.id));
  const closed = await b.waitForClose();
  expect(closed.code).toBe(CloseCode.Removed);
  expect(b.controls.some((m) => m.type === "error" && m.code === "removed")).toBe(true);
  const again = await tryUpgrade(`${relay.httpUrl}/v1/rooms/mod2?token=${b.jwt}`);
  expect(again.status).toBe(403);
  expect(again.body).toContain("removed");
  // Another token for the same person still works (the deny list is per token).
  await enter("mod2", "bob");
});

test("a moderator locks the room: a newcomer is refused with the reason, a moderator and those seated get in", async () => {
  const mod = await enter("mod3", "host", { canModerate: true });
  const seated = await enter("mod3", "seated");
  mod.ws.send(encodeModerate("lock"));
  await mod.waitForControl("moderation", (m) => m.action === "lock");
  // Someone who was in when the room was locked may come back (a dropped link).
  seated.close();
  await mod.waitForControl("leave");
  const back = await OptionsPeer.join(`${relay.wsUrl}/v1/rooms/mod3?token=${seated.jwt}`);
  open.push(back);
  expect(back.welcome.locked).toBe(true);
  const refused = await tryUpgrade(
    `${relay.httpUrl}/v1/rooms/mod3?token=${await token("mod3", "late")}`,
  );
  expect(refused.status).toBe(403);
  expect(refused.body).toContain("locked");
  const other = await enter("mod3", "cohost", { canModerate: true });
  expect(other.welcome.locked).toBe(true);
  mod.ws.send(encodeModerate("unlock"));
  await mod.waitForControl("moderation", (m) => m.action === "unlock");
  await enter("mod3", "late");
});

test("lower all hands, recording in presence, end the call for everyone", async () => {
  const mod = await enter("mod4", "host", { canModerate: true });
  const b = await enter("mod4", "bob");
  b.ws.send(encodeHand(true));
  b.ws.send(encodeRecording(true));
  await mod.until(() => lastUpdate(mod, b.welcome.id)?.recording, "bob records");
  mod.ws.send(encodeModerate("lower_hands"));
  await mod.until(
    () => (lastUpdate(mod, b.welcome.id)?.hand === undefined ? true : undefined),
    "hands down",
  );
  mod.ws.send(encodeModerate("end"));
  expect((await b.waitForClose()).code).toBe(CloseCode.CallEnded);
  expect((await mod.waitForClose()).code).toBe(CloseCode.CallEnded);
});

test("moderation of an id that is not in the room is refused (forged ids)", async () => {
  const mod = await enter("mod5", "host", { canModerate: true });
  const b = await enter("other5", "bob");
  mod.ws.send(encodeModerate("remove", b.welcome.id));
  const error = await mod.until(() => errors(mod)[0], "bad_target");
  expect(error).toMatchObject({ code: "bad_target" });
  await Bun.sleep(100);
  expect(b.closed).toBeNull();
});

test("admin API: list participants, remove one (denied), lock and unlock, end", async () => {
  const a = await enter("adm", "alice");
  const b = await enter("adm", "bob");
  const base = `${relay.httpUrl}/v1/rooms/adm`;
  expect((await fetch(`${base}/participants`)).status).toBe(401);
  const list = await (await fetch(`${base}/participants`, { headers: admin })).json();
  expect(list.participants.map((p: PeerInfo) => p.name).sort()).toEqual(["alice", "bob"]);
  const removed = await fetch(`${base}/participants/${b.welcome.id}`, {
    method: "DELETE",
    headers: admin,
  });
  expect(removed.status).toBe(204);
  expect((await b.waitForClose()).code).toBe(CloseCode.Removed);
  expect((await tryUpgrade(`${base}?token=${b.jwt}`)).status).toBe(403);
  expect(
    (await fetch(`${base}/participants/99999`, { method: "DELETE", headers: admin })).status,
  ).toBe(404);
  expect((await fetch(`${base}/lock`, { method: "POST", headers: admin })).status).toBe(204);
  await a.waitForControl("moderation", (m) => m.action === "lock" && m.by === "admin");
  expect((await tryUpgrade(`${base}?token=${await token("adm", "carol")}`)).status).toBe(403);
  expect((await fetch(`${base}/lock`, { method: "DELETE", headers: admin })).status).toBe(204);
  await enter("adm", "carol");
  expect((await fetch(`${base}/end`, { method: "POST", headers: admin })).status).toBe(204);
  expect((await a.waitForClose()).code).toBe(CloseCode.CallEnded);
  // Counted in /metrics.
  const metrics = await (await fetch(`${relay.httpUrl}/metrics`, { headers: admin })).text();
  expect(metrics).toMatch(/^framecast_moderation_actions_total\{action="remove"\} [1-9]/m);
  expect(metrics).toMatch(/^framecast_chat_messages_total [1-9]/m);
});
