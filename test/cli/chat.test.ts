// The CLI in a room's chat: it prints others' messages (escape sequences made visible) and the
// history replayed on join, sends what is typed on its stdin (sealed in an encrypted room, so a
// peer without the key sees base64 only, while a CLI with the key reads it), announces --record,
// and ends with a clear line and exit 1 when a moderator removes it or ends the call.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import {
  type ChatMessage,
  encodeChat,
  encodeModerate,
  generateRoomKey,
} from "../../protocol/index.ts";
import { spawnChatCli, stopAllChatClis } from "../support/chat-cli.ts";
import { TestPeer } from "../support/peer.ts";
import { OptionsPeer, SECRET, token } from "../support/secure-peer.ts";

const relays: SpawnedRelay[] = [];
const peers: TestPeer[] = [];

afterAll(async () => {
  await stopAllChatClis();
  for (const peer of peers) peer.close();
  for (const relay of relays) await relay.stop();
});

test("prints chat and history, sends stdin lines, announces --record; removal ends the run", async () => {
  const relay = await startRelay(["--auth-secret", SECRET]);
  relays.push(relay);
  const hostToken = await token("cliroom", "host", { canModerate: true });
  const host = await OptionsPeer.join(`${relay.wsUrl}/v1/rooms/cliroom?token=${hostToken}`);
  peers.push(host);
  host.ws.send(encodeChat({ text: "before you came" }));
  await host.waitForControl("chat");
  const cli = spawnChatCli([
    "--no-send",
    "--chat",
    "--record",
    mkdtempSync(join(tmpdir(), "framecast-cli-chat-")),
    "--relay",
    relay.wsUrl,
    "--room",
    "cliroom",
    "--token",
    await token("cliroom", "cli"),
  ]);
  await cli.waitFor(/chat \d\d:\d\d \(earlier\) host: before you came/);
  // --record: the room learns it.
  const update = await host.until(
    () => host.controls.find((c) => c.type === "peer_update" && c.peer.name === "cli"),
    "cli's recording",
    15_000,
  );
  expect(update.type === "peer_update" && update.peer.recording).toBe(true);
  // Escape sequences in someone's message print visibly.
  host.ws.send(encodeChat({ text: "look\u001b[2Jhere\nnext line" }));
  await cli.waitFor(/chat \d\d:\d\d host: look\\u001b\[2Jhere ⏎ next line/);
  cli.type("hello from the terminal");
  const got = await host.until(
    () =>
      host.controls.find(
        (c): c is ChatMessage => c.type === "chat" && c.text === "hello from the terminal",
      ),
    "the CLI's line",
  );
  expect(got.name).toBe("cli");
  const cliId = got.from;
  host.ws.send(encodeModerate("remove", cliId));
  await cli.waitFor(/left the room: a moderator removed you/);
  expect(await cli.proc.exited).toBe(1);
  // Locked: a new CLI is refused before joining, in the relay's words.
  host.ws.send(encodeModerate("lock"));
  await host.waitForControl("moderation", (m) => m.action === "lock");
  const late = spawnChatCli([
    "--no-send",
    "--relay",
    relay.wsUrl,
    "--room",
    "cliroom",
    "--token",
    await token("cliroom", "late"),
  ]);
  await late.waitFor(/HTTP 403 the room is locked by a moderator/);
  expect(await late.proc.exited).toBe(1);
}, 60_000);

test("in an encrypted room the CLI's chat is sealed: a keyless peer gets base64, a keyed CLI reads it", async () => {
  const relay = await startRelay();
  relays.push(relay);
  const key = generateRoomKey();
  const common = ["--no-send", "--chat", "--relay", relay.wsUrl, "--room", "sealed"];
  const writer = spawnChatCli([...common, "--name", "writer", "--e2ee-key", key]);
  const reader = spawnChatCli([...common, "--name", "reader", "--e2ee-key", key]);
  await writer.waitFor(/joined room sealed as writer/);
  await reader.waitFor(/joined room sealed as reader/);
  const keyless = await TestPeer.join(relay.wsUrl, "sealed", "keyless");
  peers.push(keyless);
  writer.type("meet at the usual place");
  await reader.waitFor(/chat \d\d:\d\d writer: meet at the usual place/);
  const sealed = await keyless.until(
    () => keyless.controls.find((c): c is ChatMessage => c.type === "chat"),
    "the sealed message",
  );
  expect(sealed.text).toBeUndefined();
  expect(sealed.sealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
  expect(Buffer.from(sealed.sealed ?? "", "base64").toString("latin1")).not.toContain("usual");
  // A CLI with no key says it can't read it.
  const nokey = spawnChatCli([...common, "--name", "nokey"]);
  await nokey.waitFor(/chat \d\d:\d\d \(earlier\) writer: \[encrypted message: no key/);
}, 60_000);
