// `--tls self-signed` (issue 19, a LAN call with https): the relay makes a certificate for this
// machine's addresses, says where it is and its fingerprint, serves https/wss on it, a CLI with
// `--ca` of that path joins over wss, and a restart reuses the same certificate.
import { afterAll, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "bun";
import { startRelay } from "../../harness/spawned-relay.ts";
import { hasOpenssl } from "../../harness/tools.ts";

const tlsTest = test.skipIf(!hasOpenssl);
const dataDir = mkdtempSync(join(tmpdir(), "framecast-data-"));
const certPath = join(dataDir, "tls", "cert.pem");

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A relay with --tls self-signed, once it has logged its certificate (right after "listening"). */
async function selfSignedRelay() {
  const relay = await startRelay(["--tls", "self-signed"], 20_000, {
    FRAMECAST_DATA_DIR: dataDir,
  });
  const deadline = Date.now() + 5000;
  while (!relay.logs.some((l) => l.event === "tls_self_signed") && Date.now() < deadline)
    await Bun.sleep(20);
  return relay;
}

tlsTest(
  "makes a certificate for this machine, prints how to trust it, and a CLI with --ca joins over wss",
  async () => {
    const relay = await selfSignedRelay();
    try {
      const listening = relay.logs.find((l) => l.event === "listening");
      expect(listening?.url).toBe(`wss://127.0.0.1:${relay.port}`);
      const note = relay.logs.find((l) => l.event === "tls_self_signed");
      const cert = new X509Certificate(readFileSync(certPath));
      expect(note).toMatchObject({
        cert: certPath,
        created: true,
        fingerprint: cert.fingerprint256,
      });
      expect(String(note?.message)).toContain(`--ca ${certPath}`);
      expect(cert.subjectAltName).toContain("IP Address:127.0.0.1");
      expect(cert.subjectAltName).toContain("DNS:localhost");
      if (hostname()) expect(cert.subjectAltName).toContain(`DNS:${hostname()}`);
      expect(statSync(join(dataDir, "tls", "key.pem")).mode & 0o077).toBe(0);
      // Trusted through the file alone: no rejectUnauthorized tricks.
      const health = await fetch(`https://127.0.0.1:${relay.port}/healthz`, {
        tls: { ca: readFileSync(certPath, "utf8") },
      });
      expect(await health.text()).toBe("ok\n");
      await expect(fetch(`https://127.0.0.1:${relay.port}/healthz`)).rejects.toThrow();

      const client = spawn(
        [
          process.execPath,
          join(import.meta.dir, "..", "..", "client", "main.ts"),
          "--no-send",
          "--relay",
          `wss://127.0.0.1:${relay.port}`,
          "--room",
          "lan",
          "--name",
          "laptop",
          "--ca",
          certPath,
        ],
        { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
      );
      try {
        const joined = () => relay.logs.some((l) => l.event === "join" && l.name === "laptop");
        const deadline = Date.now() + 15_000;
        while (!joined() && Date.now() < deadline) await Bun.sleep(50);
        expect(joined()).toBe(true);
      } finally {
        client.kill("SIGTERM");
        const killer = setTimeout(() => client.kill("SIGKILL"), 5000);
        await client.exited;
        clearTimeout(killer);
      }
    } finally {
      await relay.stop();
    }
  },
  60_000,
);

tlsTest(
  "a restart reuses the stored certificate (same fingerprint)",
  async () => {
    const before = new X509Certificate(readFileSync(certPath)).fingerprint256;
    const relay = await selfSignedRelay();
    try {
      const note = relay.logs.find((l) => l.event === "tls_self_signed");
      expect(note).toMatchObject({ created: false, fingerprint: before });
      const health = await fetch(`https://127.0.0.1:${relay.port}/healthz`, {
        tls: { ca: readFileSync(certPath, "utf8") },
      });
      expect(health.status).toBe(200);
    } finally {
      await relay.stop();
    }
  },
  30_000,
);

test("--tls takes only self-signed, and not together with --tls-cert", async () => {
  for (const args of [
    ["--tls", "yes"],
    ["--tls", "self-signed", "--tls-cert", certPath, "--tls-key", certPath],
  ]) {
    const proc = spawn(
      [process.execPath, join(import.meta.dir, "..", "..", "relay", "main.ts"), ...args],
      {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, FRAMECAST_DATA_DIR: dataDir },
      },
    );
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toMatch(/^relay: --tls/);
  }
}, 20_000);
