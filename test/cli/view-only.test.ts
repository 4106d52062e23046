// The CLI refuses to capture with a view-only join token (issue 19): one line, exit 2, before
// ffmpeg is even looked for, and the relay never sees a join; with --no-send the same token
// watches. The token is minted by the relay's own `token --view-only` subcommand.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { spawn } from "bun";
import { readTokenClaims } from "../../client-core/join-token.ts";
import { clientTestScope, runClient } from "../fixtures/client/run-client.ts";
import { SECRET, token } from "../support/secure-peer.ts";

const scope = clientTestScope();
const RELAY_MAIN = join(import.meta.dir, "..", "..", "relay", "main.ts");

/** `relay token --view-only --json`, as a user would mint one. */
async function mintViewOnly(room: string, name: string): Promise<string> {
  const proc = spawn(
    [process.execPath, RELAY_MAIN, "token", "--room", room, "--name", name, "--view-only"].concat(
      "--json",
    ),
    { env: { PATH: process.env.PATH ?? "", RELAY_AUTH_SECRET: SECRET }, stdout: "pipe" },
  );
  const killer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  clearTimeout(killer);
  return (JSON.parse(out) as { token: string }).token;
}

test("capture with a view-only token: one line, exit 2, no ffmpeg, no join; --no-send watches", async () => {
  const relay = await scope.startRelay(["--auth-secret", SECRET]);
  const viewOnly = await mintViewOnly("team", "viewer");
  const room = ["--relay", relay.wsUrl, "--room", "team", "--token", viewOnly];
  // --ffmpeg names nothing: had the client got as far as looking for it, it would exit 1.
  for (const send of [
    ["--source", "test"],
    ["--audio-source", "test"],
  ]) {
    const client = runClient([...send, "--ffmpeg", "/nonexistent/ffmpeg", ...room]);
    expect(await client.proc.exited).toBe(2);
    expect(client.output().trim()).toBe(
      "framecast: this token is view-only: use --no-send to watch",
    );
  }
  // The same through a page link carrying the token.
  const link = runClient([
    "--source",
    "test",
    "--relay",
    `${relay.httpUrl}/r/team?token=${viewOnly}`,
  ]);
  expect(await link.proc.exited).toBe(2);
  expect(link.output()).toContain("this token is view-only");
  expect(relay.logs.some((line) => line.event === "join")).toBe(false);

  const watcher = runClient(["--no-send", ...room]);
  await watcher.waitFor(/joined room team as viewer/);
  expect(await watcher.stop()).toBe(0);
}, 30_000);

test("a token's claims are read without its secret; anything else is not a token", async () => {
  const full = readTokenClaims(await token("team", "ann"));
  expect(full).toEqual({ canPublish: true, room: "team" });
  expect(readTokenClaims(await token("team", "bo", { canPublish: false }))).toEqual({
    canPublish: false,
    room: "team",
  });
  for (const junk of ["", "a.b.c", "a.eyJmb28iOjF9.c", "a.!!!.c"]) {
    expect(readTokenClaims(junk)).toBeNull();
  }
});
