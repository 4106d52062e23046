// The CLI's end-to-end flags: --e2ee-key (a key or a whole room link), --e2ee-new-key, keygen.
import { afterAll, expect, test } from "bun:test";
import { parseRoomKey } from "../../protocol/index.ts";
import { killAllClients, runClient } from "../fixtures/client/run-client.ts";
import { options as parse, usageError as refusal } from "../support/client-options.ts";

const KEY = "AAECAwQFBgcICQoLDA0ODw";

afterAll(killAllClients);

// These flags need no capture: every command line here only receives.
const options = (argv: string[], env: Record<string, string> = {}) =>
  parse(["--no-send", ...argv], env);
const usageError = (argv: string[], env: Record<string, string> = {}) =>
  refusal(["--no-send", ...argv], env);

test("no key: an unencrypted room", () => {
  expect(options([])).toMatchObject({ e2eeKey: null, e2eeKeyIsNew: false });
});

test("a bare key, from the flag or the environment", () => {
  expect(options(["--e2ee-key", KEY])).toMatchObject({ e2eeKey: KEY, room: "lobby" });
  expect(options([], { FRAMECAST_E2EE_KEY: KEY })).toMatchObject({ e2eeKey: KEY });
});

test("the whole room link: its room, relay and token apply unless given", () => {
  const link = `https://relay.example:8443/r/team?token=a.b.c#key=${KEY}`;
  expect(options(["--e2ee-key", link])).toMatchObject({
    e2eeKey: KEY,
    room: "team",
    relay: "wss://relay.example:8443/",
    token: "a.b.c",
  });
  expect(
    options([
      "--e2ee-key",
      link,
      "--room",
      "other",
      "--relay",
      "ws://127.0.0.1:1",
      "--token",
      "x.y.z",
    ]),
  ).toMatchObject({ e2eeKey: KEY, room: "other", relay: "ws://127.0.0.1:1/", token: "x.y.z" });
});

test("a fresh key with --e2ee-new-key", () => {
  const parsed = options(["--e2ee-new-key"]);
  expect(parsed.e2eeKeyIsNew).toBe(true);
  expect(parseRoomKey(parsed.e2eeKey ?? "")).not.toBeNull();
  expect(options(["--e2ee-new-key"]).e2eeKey).not.toBe(parsed.e2eeKey);
});

test("bad keys and combinations: one line each", () => {
  expect(usageError(["--e2ee-key", "hunter2"])).toMatch(
    /^--e2ee-key: a room key is 22 base64url characters/,
  );
  expect(usageError(["--e2ee-key", "http://h:1/r/team"])).toMatch(/no #key=/);
  expect(usageError(["--e2ee-key", `http://h:1/r/team#key=${KEY.slice(1)}`])).toMatch(
    /22 base64url/,
  );
  expect(usageError(["--e2ee-key", KEY, "--e2ee-new-key"])).toMatch(/not both/);
  expect(usageError(["--e2ee-key", KEY, "--wire", "base64"])).toMatch(/needs protocol v1/);
});

test("keygen prints one fresh key; --help documents the flags", async () => {
  const keygen = runClient(["keygen"]);
  const key = await keygen.waitFor(/^[A-Za-z0-9_-]{22}$/);
  expect(parseRoomKey(key)).not.toBeNull();
  expect(await keygen.proc.exited).toBe(0);
  expect(keygen.stdout.filter((line) => line !== "")).toEqual([key]);
  const help = runClient(["--help"]);
  expect(await help.proc.exited).toBe(0);
  await help.waitFor(/--e2ee-key KEY\|LINK/);
  await help.waitFor(/--e2ee-new-key/);
  await help.waitFor(/keygen/);
});

test("--e2ee-new-key prints the key and the room link to share before connecting", async () => {
  // Port 9 on loopback: nothing listens, the client keeps retrying until stopped.
  const client = runClient([
    "--no-send",
    "--e2ee-new-key",
    "--relay",
    "ws://127.0.0.1:9",
    "--room",
    "team",
  ]);
  const line = await client.waitFor(/new room key: [A-Za-z0-9_-]{22}$/);
  const key = line.slice(-22);
  await client.waitFor(new RegExp(`^ *http://127\\.0\\.0\\.1:9/r/team#key=${key}$`));
  await client.stop();
});
