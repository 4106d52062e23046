// The security building blocks on their own: token verification, origin and connect limits,
// admin access, flag validation and the startup warnings.
import { afterEach, expect, test } from "bun:test";
import { type ConfigError, parseRelayConfig } from "../../relay/config.ts";
import { createAdminCheck } from "../../relay/http/admin-access.ts";
import { ConnectLimiter } from "../../relay/security/connect-limit.ts";
import { originAllowed } from "../../relay/security/origin.ts";
import type { SecurityConfig } from "../../relay/security/security-config.ts";
import { logSecurityPosture } from "../../relay/security/security-log.ts";
import { parseTtl, secretKey, verifyJoinToken } from "../../relay/security/tokens.ts";
import { SECRET, token } from "../support/secure-peer.ts";

const security = (overrides: string[] = []): SecurityConfig => {
  const config = parseRelayConfig(overrides, {});
  if (typeof config === "string") throw new Error(config);
  return config.security;
};

test("tokens: verified with claims, refused when forged, expired or shaped wrong", async () => {
  const key = secretKey(SECRET);
  const grant = await verifyJoinToken(
    key,
    await token("team", "alice\u0007", { canPublish: false }),
  );
  expect(grant).toMatchObject({ room: "team", name: "alice", canPublish: false });
  expect(await verifyJoinToken(key, await token("team", "a", { secret: `${SECRET}!` }))).toBe(
    "bad_token",
  );
  expect(
    await verifyJoinToken(key, await token("team", "a", { nowMs: Date.now() - 7_200_000 })),
  ).toBe("expired_token");
  // Within the 30 s clock tolerance a just-expired token still passes.
  expect(
    typeof (await verifyJoinToken(
      key,
      await token("team", "a", { ttlSeconds: 1, nowMs: Date.now() - 5_000 }),
    )),
  ).toBe("object");
  expect(await verifyJoinToken(key, "x".repeat(5000))).toBe("bad_token");
  expect(await verifyJoinToken(key, "")).toBe("bad_token");
  expect(parseTtl("90s")).toBe(90);
  expect(parseTtl("1h")).toBe(3600);
  expect(parseTtl("7d")).toBe(604_800);
  expect(parseTtl("0")).toBeNull();
  expect(parseTtl("soon")).toBeNull();
});

test("origins: no list or no Origin passes; listed and same-host pass; others fail", () => {
  const request = (origin?: string, host = "relay.example.org:8765") =>
    new Request("http://relay.example.org:8765/v1/rooms/x", {
      headers: { host, ...(origin ? { origin } : {}) },
    });
  const list = ["https://meet.example.org"];
  expect(originAllowed(request("https://evil.example"), [])).toBe(true);
  expect(originAllowed(request(), list)).toBe(true);
  expect(originAllowed(request("https://meet.example.org"), list)).toBe(true);
  expect(originAllowed(request("https://MEET.example.org:443"), list)).toBe(true);
  expect(originAllowed(request("http://relay.example.org:8765"), list)).toBe(true);
  expect(originAllowed(request("https://evil.example"), list)).toBe(false);
  expect(originAllowed(request("null"), list)).toBe(false);
  expect(originAllowed(request("https://meet.example.org.evil.example"), list)).toBe(false);
});

test("connect limit: per address per minute, loopback exempt only when told", () => {
  const limiter = new ConnectLimiter(3, ["loopback"]);
  try {
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) expect(limiter.allow("203.0.113.9", t + i)).toBe(true);
    expect(limiter.allow("203.0.113.9", t + 10)).toBe(false);
    expect(limiter.retryAfterSeconds("203.0.113.9", t + 10)).toBe(60);
    expect(limiter.allow("203.0.113.10", t + 10)).toBe(true);
    expect(limiter.allow("203.0.113.9", t + 60_000)).toBe(true);
    for (let i = 0; i < 10; i++) expect(limiter.allow("127.0.0.1", t)).toBe(true);
    expect(limiter.allow("::1", t)).toBe(true);
  } finally {
    limiter.stop();
  }
  const strict = new ConnectLimiter(1, []);
  expect(strict.allow("127.0.0.1")).toBe(true);
  expect(strict.allow("127.0.0.1")).toBe(false);
  strict.stop();
});

test("admin endpoints: token when set, else loopback-only by default with auth, else open", () => {
  const request = (auth?: string) =>
    new Request("http://x/metrics", { headers: auth ? { authorization: auth } : {} });
  const withToken = createAdminCheck(security(["--admin-token", "a-long-admin-token-1234"]));
  expect(withToken(request(), "127.0.0.1")?.status).toBe(401);
  expect(withToken(request("Bearer wrong"), "127.0.0.1")?.status).toBe(401);
  expect(withToken(request("Bearer a-long-admin-token-1234"), "198.51.100.1")).toBeNull();
  const authOn = createAdminCheck(security(["--auth-secret", SECRET]));
  expect(authOn(request(), "127.0.0.1")).toBeNull();
  expect(authOn(request(), "::1")).toBeNull();
  expect(authOn(request(), "198.51.100.1")?.status).toBe(403);
  const open = createAdminCheck(security());
  expect(open(request(), "198.51.100.1")).toBeNull();
  const loopback = createAdminCheck(security(["--admin-access", "loopback"]));
  expect(loopback(request(), "198.51.100.1")?.status).toBe(403);
});

test("flags: weak secrets, half a TLS pair, bad origins and limits are refused", () => {
  const refuse = (args: string[], words: string) =>
    expect(() => parseRelayConfig(args, {})).toThrow(
      expect.objectContaining({
        message: expect.stringContaining(words),
      }) as unknown as ConfigError,
    );
  refuse(["--auth-secret", "short"], "at least 32");
  refuse(["--tls-cert", import.meta.path], "go together");
  refuse(["--tls-key", "/no/such/file"], "no such file");
  refuse(["--allowed-origins", "meet.example.org"], "not an origin");
  refuse(["--max-fps", "-1"], "--max-fps");
  refuse(["--admin-access", "everyone"], "open or loopback");
  const parsed = security(["--allowed-origins", "https://a.example, http://b.example:8080/"]);
  expect(parsed.allowedOrigins).toEqual(["https://a.example", "http://b.example:8080"]);
  expect(parsed.maxFramesPerSecond).toBe(120);
  expect(parsed.maxBytesPerSecond).toBe(8 << 20);
  expect(parsed.connectLimitExempt).toEqual(["loopback"]);
  const fromEnv = parseRelayConfig([], { RELAY_AUTH_SECRET: SECRET, RELAY_MAX_FPS: "0" });
  expect(typeof fromEnv !== "string" && fromEnv.security.authSecret).toBe(SECRET);
  expect(typeof fromEnv !== "string" && fromEnv.security.maxFramesPerSecond).toBe(0);
});

const written: string[] = [];
const originalStderr = process.stderr.write.bind(process.stderr);
const originalStdout = process.stdout.write.bind(process.stdout);
afterEach(() => {
  process.stderr.write = originalStderr;
  process.stdout.write = originalStdout;
});

test("startup warnings: loud (stderr, warn) for an open relay on a network address", () => {
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  process.stderr.write = capture as typeof process.stderr.write;
  process.stdout.write = capture as typeof process.stdout.write;
  logSecurityPosture("0.0.0.0", security());
  const lines = written.map((l) => JSON.parse(l) as Record<string, string>);
  expect(lines.find((l) => l.event === "auth_off")).toMatchObject({ level: "warn" });
  expect(lines.find((l) => l.event === "auth_off")?.message).toContain("OPEN RELAY");
  expect(lines.find((l) => l.event === "tls_off")).toMatchObject({ level: "warn" });
  written.length = 0;
  logSecurityPosture("127.0.0.1", security(["--auth-secret", SECRET]));
  expect(written).toEqual([]);
});
