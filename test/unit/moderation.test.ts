// Pure parts of chat, hands and host controls: the token's `moderate` permission and `jti`, the
// `token --moderate` command, client message checks, the deny list's expiry, the order of hands
// on the page, sealed chat, and what the CLI prints of someone else's text.
import { expect, test } from "bun:test";
import { decodeJwt } from "jose";
import { printable } from "../../client/chat/terminal-text.ts";
import { openChat, sealChat } from "../../client-core/chat-seal.ts";
import {
  chatProblem,
  generateRoomKey,
  importRoomKey,
  parseClientControl,
  parseControl,
} from "../../protocol/index.ts";
import { MemoryModerationStore } from "../../relay/moderation/moderation-store.ts";
import { decodeRoomEvent } from "../../relay/moderation/room-events.ts";
import { parseTokenCommand } from "../../relay/security/token-command.ts";
import { mintJoinToken, secretKey, verifyJoinToken } from "../../relay/security/tokens.ts";
import { PeopleStatus } from "../../web/room/people-status.ts";

const SECRET = "unit-secret-0123456789abcdef-0123456789";

test("a --moderate token carries the permission and a jti; others don't moderate", async () => {
  const key = secretKey(SECRET);
  const moderator = await mintJoinToken(key, {
    room: "team",
    name: "host",
    ttlSeconds: 60,
    canPublish: true,
    canModerate: true,
  });
  const claims = decodeJwt(moderator);
  expect(claims.can).toEqual(["publish", "view", "moderate"]);
  expect(typeof claims.jti).toBe("string");
  const grant = await verifyJoinToken(key, moderator);
  expect(grant).toMatchObject({ canModerate: true, tokenId: claims.jti });
  const plain = await mintJoinToken(key, {
    room: "team",
    name: "bob",
    ttlSeconds: 60,
    canPublish: true,
  });
  const other = await verifyJoinToken(key, plain);
  expect(other).toMatchObject({ canModerate: false });
  expect(typeof other !== "string" && other.tokenId).not.toBe(claims.jti);
  const command = parseTokenCommand(
    ["--room", "team", "--name", "host", "--moderate", "--auth-secret", SECRET],
    {},
  );
  expect(command !== "help" && command.canModerate).toBe(true);
});

test("client chat, hand and moderate messages are checked", () => {
  expect(parseClientControl('{"type":"chat","text":"hi"}')).toEqual({ type: "chat", text: "hi" });
  expect(parseClientControl('{"type":"chat","text":5}')).toBeNull();
  expect(parseClientControl('{"type":"chat"}')).toBeNull();
  const both = parseClientControl('{"type":"chat","text":"a","sealed":"b"}');
  expect(both?.type === "chat" && chatProblem(both)).toBe("both");
  expect(chatProblem({ type: "chat", text: "x".repeat(2001) })).toBe("too_long");
  // 2,000 characters outside the BMP are 4,000 UTF-16 units: still allowed.
  expect(chatProblem({ type: "chat", text: "😀".repeat(2000) })).toBeNull();
  expect(chatProblem({ type: "chat", text: "  " })).toBe("empty");
  expect(chatProblem({ type: "chat", sealed: "not base64!" })).toBe("bad_sealed");
  expect(parseClientControl('{"type":"hand","raised":"yes"}')).toBeNull();
  expect(parseClientControl('{"type":"moderate","action":"remove"}')).toBeNull();
  expect(parseClientControl('{"type":"moderate","action":"remove","target":-1}')).toBeNull();
  expect(parseClientControl('{"type":"moderate","action":"stop","target":3}')).toBeNull();
  expect(
    parseClientControl('{"type":"moderate","action":"stop","target":3,"media":"sound"}'),
  ).toEqual({ type: "moderate", action: "stop", target: 3, media: "sound" });
  expect(parseClientControl('{"type":"moderate","action":"lock","target":3}')).toEqual({
    type: "moderate",
    action: "lock",
  });
  expect(parseControl('{"type":"chat","from":3,"name":"a","time":1}')).toBeNull();
  expect(decodeRoomEvent({ event: { kind: "target", action: "ban", target: 1, by: "x" } })).toBe(
    null,
  );
});

test("the deny list forgets a token when it expires", () => {
  const store = new MemoryModerationStore();
  const now = Date.now() / 1000;
  store.deny("a", now + 60);
  store.deny("b", now - 1);
  expect(store.deniedNow("a")).toBe(true);
  expect(store.deniedNow("b")).toBe(false);
  expect(store.deniedNow("c")).toBe(false);
});

test("the page orders hands by when they went up, then by id", () => {
  const status = new PeopleStatus();
  status.welcome({
    type: "welcome",
    protocol: 1,
    id: 1,
    name: "me",
    room: "r",
    limits: { maxFrameBytes: 1, maxMessageBytes: 1, maxPeersPerRoom: 1, idleTimeoutSeconds: 1 },
    peers: [
      { id: 5, name: "e", legacy: false, hand: 200 },
      { id: 3, name: "c", legacy: false, hand: 200 },
      { id: 4, name: "d", legacy: false, hand: 100 },
      { id: 6, name: "f", legacy: false },
    ],
  });
  expect(status.hands().map((p) => p.name)).toEqual(["d", "c", "e"]);
  expect(status.handPosition(5)).toBe(3);
  expect(status.handPosition(6)).toBeUndefined();
  expect(status.mode).toBe("off");
});

test("sealed chat opens with the room key only", async () => {
  const key = await importRoomKey(generateRoomKey());
  const other = await importRoomKey(generateRoomKey());
  const sealed = await sealChat(key, "meet at noon");
  expect(sealed).not.toContain("noon");
  expect(chatProblem({ type: "chat", sealed })).toBeNull();
  expect(await openChat(key, sealed)).toBe("meet at noon");
  expect(await openChat(other, sealed)).toBeNull();
  expect(await openChat(key, "garbage")).toBeNull();
});

test("the CLI prints escape sequences and line breaks of others' text visibly", () => {
  expect(printable("hi\u001b[2J\u0007 there")).toBe("hi\\u001b[2J\\u0007 there");
  expect(printable("a\r\nb\nc")).toBe("a ⏎ b ⏎ c");
  expect(printable("\u202eevil")).toBe("\\u202eevil");
});
