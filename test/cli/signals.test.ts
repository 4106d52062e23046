// Ctrl-C in a terminal under `bun run client` reaches the client twice at once (the terminal
// signals the process group, and `bun run` forwards its copy): that must still be a clean exit
// with finished recordings (a second Ctrl-C over 0.5 s later still means "out now", exit 130).
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedRelay } from "../../harness/spawned-relay.ts";
import { clientTestScope, probe, runClient } from "../fixtures/client/run-client.ts";

const scope = clientTestScope();
let relay: SpawnedRelay | null = null;

const client = (relayUrl: string, name: string, extra: string[] = []) =>
  runClient([
    "--source",
    "test",
    "--relay",
    relayUrl,
    "--room",
    "sig",
    "--name",
    name,
    "--size",
    "160x120",
    "--fps",
    "10",
    ...extra,
  ]);

test("two SIGINTs at once: clean exit 0, the recording is finished and playable", async () => {
  relay = await scope.startRelay();
  const dir = scope.tempDir("framecast-signals-");
  const recorder = client(relay.wsUrl, "rec", ["--record", dir]);
  await recorder.waitFor(/joined room sig/);
  const sender = client(relay.wsUrl, "cam");
  await recorder.waitFor(/recording cam to /);
  await Bun.sleep(1500);
  recorder.proc.kill("SIGINT");
  await Bun.sleep(5); // just apart, like bun run's forwarded copy (closer ones may merge into one)
  recorder.proc.kill("SIGINT");
  expect(await recorder.stop()).toBe(0);
  expect(recorder.output()).toMatch(/recorded cam: \d+ frames/);
  const [file] = readdirSync(dir);
  expect(probe(join(dir, file as string)).frames).toBeGreaterThan(5);
  await sender.stop();
}, 30_000);
