// --config FILE, --print-config, /readyz and the systemd unit: the relay's real command line.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRelay } from "../../harness/spawned-relay.ts";
import { available } from "../../harness/tools.ts";

const ROOT = join(import.meta.dir, "..", "..");
const MAIN = join(ROOT, "relay", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "framecast-deploy-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function relayCli(args: string[], env: Record<string, string> = {}) {
  const run = Bun.spawnSync([process.execPath, MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 15_000,
  });
  return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() };
}

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("--config FILE", () => {
  const file = configFile(
    "relay.toml",
    [
      "port = 9100",
      "max-peers = 7",
      "max-rooms = 300",
      'max-frame-bytes = "1MiB"',
      'auth-secret = "0123456789abcdef0123456789abcdef"',
      'allowed-origins = ["https://a.example", "https://b.example"]',
      'webhook = ["http://127.0.0.1:9/hook?key=s3cret", "http://127.0.0.1:9/other"]',
      'webhook-secret = "webhook-secret-0123456789"',
      'redis = "redis://user:hunter2@127.0.0.1:6379"',
    ].join("\n"),
  );

  test("the file replaces defaults; environment beats the file; flags beat both", () => {
    const run = relayCli(["--config", file, "--print-config", "--max-rooms", "5"], {
      RELAY_MAX_PEERS: "9",
    });
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    const config = JSON.parse(run.out);
    expect(config.port).toBe(9100); // file over default
    expect(config.maxPeersPerRoom).toBe(9); // env over file
    expect(config.maxRooms).toBe(5); // flag over file
    expect(config.maxFrameBytes).toBe(1 << 20);
    expect(config.idleTimeoutSeconds).toBe(60); // default
    expect(config.security.allowedOrigins).toEqual(["https://a.example", "https://b.example"]);
    expect(config.deploy.webhooks).toHaveLength(2);
  });

  test("--print-config shows no secret", () => {
    const run = relayCli(["--config", file, "--print-config"], {
      RELAY_ADMIN_TOKEN: "admin-token-0123456789",
    });
    expect(run.code).toBe(0);
    for (const secret of [
      "0123456789abcdef0123456789abcdef",
      "webhook-secret-0123456789",
      "hunter2",
      "s3cret",
      "admin-token-0123456789",
    ]) {
      expect(run.out).not.toContain(secret);
    }
    const config = JSON.parse(run.out);
    expect(config.security.authSecret).toBe("(redacted)");
    expect(config.security.adminToken).toBe("(redacted)");
    expect(config.deploy.webhookSecret).toBe("(redacted)");
  });

  test("an unknown key is one line naming it, exit 2", () => {
    const bad = configFile("unknown.toml", "port = 9100\nmax-peer = 3\n");
    const run = relayCli(["--config", bad]);
    expect(run.code).toBe(2);
    expect(run.err.trim().split("\n")).toHaveLength(1);
    expect(run.err).toContain("config key max-peer: unknown key");
  });

  test("a bad value is one line naming the key, exit 2", () => {
    for (const [text, key] of [
      ['port = "eighty"', "port"],
      ["idle-timeout = 5000", "idle-timeout"],
      ["max-frame-bytes = true", "max-frame-bytes"],
      ["port = { a = 1 }", "port"],
      ['trust-proxy = "proxy.local"', "trust-proxy"],
    ] as const) {
      const run = relayCli(["--config", configFile("bad.toml", `${text}\n`)]);
      expect(run.code).toBe(2);
      expect(run.err.trim().split("\n")).toHaveLength(1);
      expect(run.err).toContain(`config key ${key}`);
    }
  });

  test("not TOML, or no such file: one line, exit 2", () => {
    expect(relayCli(["--config", configFile("broken.toml", "port = = 1\n")]).code).toBe(2);
    const missing = relayCli(["--config", join(dir, "nope.toml")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("cannot read");
  });

  test("a bad flag value still names the flag, even with the key in the file", () => {
    const run = relayCli(["--config", file, "--port", "x"]);
    expect(run.code).toBe(2);
    expect(run.err).toContain("--port: expected an integer");
  });

  test("deploy/relay.example.toml is a valid config", () => {
    const run = relayCli([
      "--config",
      join(ROOT, "deploy", "relay.example.toml"),
      "--print-config",
    ]);
    expect(run.err).toBe("");
    expect(JSON.parse(run.out).deploy.trustProxy).toEqual(["loopback"]);
  });
});

describe("/readyz", () => {
  test("200 on a lone relay; 503 when the cluster's Redis is unreachable; /healthz stays 200", async () => {
    const lone = await startRelay();
    try {
      const ready = await fetch(`${lone.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await lone.stop();
    }
    // Port 9 on loopback: nothing listens, so the link never comes up.
    const orphan = await startRelay(["--redis", "redis://127.0.0.1:9"]);
    try {
      const ready = await fetch(`${orphan.httpUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain("redis link down");
      expect((await fetch(`${orphan.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await orphan.stop();
    }
  }, 30_000);
});

const hasSystemdAnalyze = available(
  "systemd-analyze (apt-get install systemd)",
  Bun.which("systemd-analyze") !== null,
);

test.skipIf(!hasSystemdAnalyze)(
  "systemd-analyze verify passes on deploy/framecast-relay.service",
  () => {
    // Pointed at this checkout so verify can check ExecStart's binary exists.
    const unit = readFileSync(join(ROOT, "deploy", "framecast-relay.service"), "utf8").replaceAll(
      "/opt/framecast",
      ROOT,
    );
    const path = join(dir, "framecast-relay.service");
    writeFileSync(path, unit);
    const run = Bun.spawnSync(["systemd-analyze", "verify", path], { timeout: 30_000 });
    const output = `${run.stdout}${run.stderr}`
      .split("\n")
      // Not about the unit: this machine's own units and a container without a running systemd.
      .filter((line) => line.includes("framecast-relay"));
    expect(output).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(unit).toContain("NoNewPrivileges=true");
    expect(unit).toMatch(/^Type=simple$/m);
    expect(unit).toMatch(/^LimitNOFILE=\d+$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
  },
);
