// TLS end to end: a certificate made here with openssl, the relay serving https/wss on it with join
// tokens on, frames between two wss participants, the CLI client joining with --ca and --token.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "bun";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { makeSelfSignedCert } from "../../harness/self-signed-cert.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { hasOpenssl } from "../../harness/tools.ts";
import { encodeVideoFrame, HEADER_BYTES } from "../../protocol/index.ts";
import { OptionsPeer, SECRET, token, tryUpgrade } from "../support/secure-peer.ts";

/** Skipped without openssl on a developer machine (npm has none); CI installs it. */
const tlsTest = test.skipIf(!hasOpenssl);

let dir: string;
let ca: string;
let relay: SpawnedRelay;
let wssUrl: string;
let httpsUrl: string;
const peers: OptionsPeer[] = [];

beforeAll(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), "framecast-tls-"));
  const cert = makeSelfSignedCert(dir);
  ca = cert.pem;
  relay = await startRelay([
    "--tls-cert",
    cert.certPath,
    "--tls-key",
    cert.keyPath,
    "--auth-secret",
    SECRET,
  ]);
  wssUrl = `wss://127.0.0.1:${relay.port}`;
  httpsUrl = `https://127.0.0.1:${relay.port}`;
}, 30_000);

afterAll(async () => {
  for (const peer of peers) peer.close();
  await relay?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

tlsTest(
  "the relay announces wss:// and serves HTTPS with the test certificate",
  async () => {
    const listening = relay.logs.find((l) => l.event === "listening");
    expect(String(listening?.url)).toStartWith("wss://");
    expect(listening?.tls).toBe(true);
    const health = await fetch(`${httpsUrl}/healthz`, { tls: { ca } });
    expect(health.status).toBe(200);
    // Refusals work the same over TLS.
    expect((await tryUpgrade(`${httpsUrl}/v1/rooms/team`, {}, { tls: { ca } })).status).toBe(401);
  },
  30_000,
);

tlsTest(
  "two wss participants with tokens exchange frames byte-for-byte",
  async () => {
    const tls = { ca };
    const alice = await OptionsPeer.join(
      `${wssUrl}/v1/rooms/team?token=${await token("team", "alice")}`,
      {
        tls,
      },
    );
    const bob = await OptionsPeer.join(`${wssUrl}/v1/rooms/team`, {
      tls,
      headers: { authorization: `Bearer ${await token("team", "bob")}` },
    });
    peers.push(alice, bob);
    const jpegs = Array.from({ length: 20 }, (_, i) => makeJpeg(32, 24, i));
    jpegs.forEach((jpeg, i) => {
      alice.ws.send(encodeVideoFrame(jpeg, Date.now(), i));
    });
    await bob.until(() => bob.binary.length === jpegs.length, "20 frames over wss");
    bob.binary.forEach((frame, i) => {
      expect(Buffer.compare(frame.subarray(HEADER_BYTES), jpegs[i] as Uint8Array)).toBe(0);
    });
  },
  30_000,
);

tlsTest(
  "plain ws:// to the TLS port and wss:// without trusting the certificate both fail",
  async () => {
    const url = `/v1/rooms/team?token=${await token("team", "eve")}`;
    await expect(OptionsPeer.open(`ws://127.0.0.1:${relay.port}${url}`)).rejects.toThrow();
    await expect(OptionsPeer.open(`${wssUrl}${url}`)).rejects.toThrow();
    expect(relay.proc.exitCode).toBeNull();
  },
  30_000,
);

tlsTest(
  "the CLI client joins over wss with --ca and --token, under the token's name",
  async () => {
    const client = spawn(
      [
        process.execPath,
        join(import.meta.dir, "..", "..", "client", "main.ts"),
        "--no-send",
        "--relay",
        wssUrl,
        "--room",
        "team",
        "--name",
        "ignored",
        "--ca",
        join(dir, "cert.pem"),
      ],
      {
        env: { ...process.env, FRAMECAST_TOKEN: await token("team", "cli-user") },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    try {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if (relay.logs.some((l) => l.event === "join" && l.name === "cli-user")) break;
        await Bun.sleep(50);
      }
      expect(relay.logs.some((l) => l.event === "join" && l.name === "cli-user")).toBe(true);
    } finally {
      client.kill("SIGTERM");
      const killer = setTimeout(() => client.kill("SIGKILL"), 5000);
      await client.exited;
      clearTimeout(killer);
    }
  },
  30_000,
);
