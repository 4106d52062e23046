// Hostile chat, hand and moderation messages from a moderator and from an ordinary participant
// (test/support/fuzz-room-control.ts: oversized, malformed, forged ids, unknown actions), while
// two honest participants chat in their own room. The relay stays up, the honest pair stays
// connected and unmoderated, gets every honest message in order, and every chat it gets carries
// the id of its real sender. The big fuzzer (fuzz.test.ts) sends the same cases without tokens.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { type ChatMessage, encodeChat } from "../../protocol/index.ts";
import { seededRandom } from "../fixtures/client/jpeg.ts";
import { ROOM_CONTROL_CASES, roomControlBuilders } from "../support/fuzz-room-control.ts";
import type { TestPeer } from "../support/peer.ts";
import { OptionsPeer, SECRET, token } from "../support/secure-peer.ts";

const MESSAGES = 4000;
let relay: SpawnedRelay;
const open: TestPeer[] = [];

beforeAll(async () => {
  relay = await startRelay([
    "--auth-secret",
    SECRET,
    "--max-control-per-second",
    "0",
    "--max-connects-per-minute",
    "0",
  ]);
});

afterAll(async () => {
  for (const peer of open) peer.close();
  expect(await relay.stop()).toBe(0);
});

async function enter(room: string, name: string, canModerate = false) {
  const jwt = await token(room, name, { canModerate });
  const peer = await OptionsPeer.join(`${relay.wsUrl}/v1/rooms/${room}?token=${jwt}`);
  open.push(peer);
  return peer;
}

test("forged and malformed chat, hands and moderation leave honest peers untouched", async () => {
  const alice = await enter("honest", "alice");
  const bob = await enter("honest", "bob");
  const hostileModerator = await enter("hostile", "evil-host", true);
  const intruder = await enter("honest", "intruder");
  const honestIds = [alice.welcome.id, bob.welcome.id];
  const rand = seededRandom(21);
  const int = (below: number) => Math.floor(rand() * below);
  const text = (length: number) => {
    let out = "";
    for (let i = 0; i < length; i++) {
      out += String.fromCharCode(int(8) === 0 ? int(0x10000) : 32 + int(95));
    }
    return out;
  };
  const builders = roomControlBuilders(int, text, () => honestIds);
  for (let i = 0; i < MESSAGES; i++) {
    const kind = ROOM_CONTROL_CASES[int(ROOM_CONTROL_CASES.length)] ?? "moderate_forged";
    const message = builders[kind]();
    // The moderator's own "end" would close its room (and it): the intruder sends those.
    const fromModerator = i % 2 === 0 && !message.includes('"action":"end"');
    (fromModerator ? hostileModerator : intruder).ws.send(message);
    if (i % 100 === 0) {
      alice.ws.send(encodeChat({ text: `honest ${i / 100}` }));
      await Bun.sleep(1);
    }
  }
  const honest = () =>
    bob.controls.filter((c): c is ChatMessage => c.type === "chat" && c.from === alice.welcome.id);
  await bob.until(
    () => honest().length >= MESSAGES / 100 || undefined,
    "every honest chat",
    20_000,
  );
  expect(honest().map((m) => m.text)).toEqual(
    Array.from({ length: MESSAGES / 100 }, (_, i) => `honest ${i}`),
  );
  // Every chat bob got names its real sender (alice or the intruder), never a forged id.
  const senders = new Set(
    bob.controls.filter((c) => c.type === "chat").map((c) => (c as ChatMessage).from),
  );
  for (const id of senders) expect([alice.welcome.id, intruder.welcome.id]).toContain(id);
  expect(relay.proc.exitCode).toBeNull();
  expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200);
  expect(alice.closed).toBeNull();
  expect(bob.closed).toBeNull();
  expect(bob.controls.some((c) => c.type === "moderation")).toBe(false);
  // The moderator's forged targets were refused; the intruder's moderation too.
  expect(hostileModerator.controls.some((c) => c.type === "error" && c.code === "bad_target")).toBe(
    true,
  );
  expect(intruder.controls.some((c) => c.type === "error" && c.code === "not_moderator")).toBe(
    true,
  );
  // The honest room is not locked, and its newcomers see at most 200 messages of history.
  const late = await enter("honest", "late");
  await Bun.sleep(300);
  expect(late.controls.filter((c) => c.type === "chat").length).toBeLessThanOrEqual(200);
}, 60_000);
