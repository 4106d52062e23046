// The relay behind Debian's nginx and Caddy (deploy/ configs), TLS at the proxy, on the site root
// and under /call/: a Chromium page and a CLI participant both come through the proxy and see each
// other; a socket idle for 90 s through nginx's default timeouts survives; --trust-proxy decides
// which address the relay's logs and limits see.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "bun";
import { makeSelfSignedCert } from "../../harness/self-signed-cert.ts";
import { type SpawnedRelay, startRelay } from "../../harness/spawned-relay.ts";
import { hasOpenssl } from "../../harness/tools.ts";
import {
  AUTO_ALLOW_CAMERA,
  closeAllBrowsers,
  FAKE_CAMERA,
  hasChromium,
  launchBrowser,
} from "../support/browser.ts";
import { TestPeer } from "../support/peer.ts";
import {
  hasCaddy,
  hasNginx,
  type ProxyOptions,
  type RunningProxy,
  startCaddy,
  startNginx,
} from "../support/reverse-proxy.ts";
import { joinAs, openPage, waitForRemoteTiles } from "../support/room-page.ts";

const CLIENT_MAIN = join(import.meta.dir, "..", "..", "client", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "framecast-deploy-proxy-"));
const cert = hasOpenssl ? makeSelfSignedCert(dir) : null;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await closeAllBrowsers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function relayWith(args: string[]): Promise<SpawnedRelay> {
  const relay = await startRelay(args);
  cleanups.push(() => relay.stop());
  return relay;
}

async function proxyFor(
  kind: "nginx" | "caddy",
  relay: SpawnedRelay,
  prefix: "" | "/call",
  extra: Partial<ProxyOptions> = {},
): Promise<RunningProxy> {
  if (!cert) throw new Error("no certificate");
  const options = {
    relayPort: relay.port,
    certPath: cert.certPath,
    keyPath: cert.keyPath,
    prefix,
    dir,
    ...extra,
  };
  const proxy = kind === "nginx" ? await startNginx(options) : await startCaddy(options);
  cleanups.push(() => proxy.stop());
  return proxy;
}

function wssOf(base: string): string {
  return base.replace(/^https:/, "wss:");
}

const cases = [
  { kind: "nginx", prefix: "", present: hasNginx },
  { kind: "nginx", prefix: "/call", present: hasNginx },
  { kind: "caddy", prefix: "", present: hasCaddy },
  { kind: "caddy", prefix: "/call", present: hasCaddy },
] as const;

describe("a call through the proxy", () => {
  for (const { kind, prefix, present } of cases) {
    test.skipIf(!present || !hasChromium || !hasOpenssl)(
      `${kind} on ${prefix || "the root"}: a page and a CLI participant see each other`,
      async () => {
        // An allow-list that names neither: only "the relay's own page" (Origin vs Host) lets the page in.
        const relay = await relayWith(["--allowed-origins", "https://elsewhere.example"]);
        const proxy = await proxyFor(kind, relay, prefix);
        if (prefix) {
          // Without the trailing slash: a redirect to it, not a 404.
          const bare = await fetch(proxy.base, {
            redirect: "manual",
            tls: { rejectUnauthorized: false },
          });
          expect([301, 302, 308]).toContain(bare.status);
          expect(bare.headers.get("location")).toEndWith("/call/");
        }
        const browser = await launchBrowser([
          FAKE_CAMERA,
          AUTO_ALLOW_CAMERA,
          "--ignore-certificate-errors",
        ]);
        const web = await openPage(browser, `${proxy.base}/`);
        await joinAs(web.page, "web", "deploy");
        // The room's page path keeps the prefix; so do the assets and the socket.
        expect(new URL(web.page.url()).pathname).toBe(`${prefix}/r/deploy`);
        const client = spawn(
          [
            process.execPath,
            CLIENT_MAIN,
            "--source",
            "test",
            "--size",
            "320x240",
            "--fps",
            "10",
            "--name",
            "cli",
            "--ca",
            cert?.certPath ?? "",
            "--relay",
            `${proxy.base}/r/deploy`,
          ],
          { stdout: "ignore", stderr: "pipe", stdin: "ignore" },
        );
        cleanups.push(async () => {
          client.kill("SIGINT");
          const killer = setTimeout(() => client.kill("SIGKILL"), 5000);
          await client.exited;
          clearTimeout(killer);
        });
        await waitForRemoteTiles(web.page, ["cli"], 10, 40_000);
        // The page's share link and the relay's view of both joins.
        const joins = relay.logs.filter((l) => l.event === "join").map((l) => l.name);
        expect(joins.sort()).toEqual(["cli", "web"]);
        expect(relay.logs.filter((l) => l.event === "join_refused")).toEqual([]);
        expect(web.errors.filter((e) => !e.includes("favicon"))).toEqual([]);
      },
      90_000,
    );
  }
});

test.skipIf(!hasNginx || !hasOpenssl)(
  "a socket idle for 90 s through nginx's default 60 s proxy_read_timeout stays open",
  async () => {
    const relay = await relayWith([]);
    const proxy = await proxyFor("nginx", relay, "");
    const tls = { ca: cert?.pem };
    const idle = await TestPeer.joinWith(`${wssOf(proxy.base)}/v1/rooms/idle?name=idle`, { tls });
    await Bun.sleep(90_000);
    expect(idle.closed).toBeNull();
    const late = await TestPeer.joinWith(`${wssOf(proxy.base)}/v1/rooms/idle?name=late`, { tls });
    await idle.waitForControl("join");
    expect(late.welcome.peers.map((p) => p.name)).toEqual(["idle"]);
    idle.ws.close(1000);
    late.ws.close(1000);
  },
  120_000,
);

describe("--trust-proxy", () => {
  // nginx reaches the relay from 127.0.0.2 (proxy_bind); the client itself is 127.0.0.1.
  const limits = ["--max-connects-per-minute", "2", "--connect-limit-exempt", "none"];

  test.skipIf(!hasNginx || !hasOpenssl)(
    "with it, logs and the connect limit see the client's address; a header from anyone else is ignored",
    async () => {
      const relay = await relayWith(["--trust-proxy", "127.0.0.2", ...limits]);
      const proxy = await proxyFor("nginx", relay, "", { bindAddress: "127.0.0.2" });
      const tls = { ca: cert?.pem };
      const url = `${wssOf(proxy.base)}/v1/rooms/trust?name=`;
      const a = await TestPeer.joinWith(`${url}a`, { tls });
      const b = await TestPeer.joinWith(`${url}b`, { tls });
      await expect(TestPeer.joinWith(`${url}c`, { tls })).rejects.toThrow();
      const joins = relay.logs.filter((l) => l.event === "join");
      expect(joins.map((l) => l.address)).toEqual(["127.0.0.1", "127.0.0.1"]);
      const refused = relay.logs.find((l) => l.event === "join_refused");
      expect(refused).toMatchObject({ reason: "too_many_connects", address: "127.0.0.1" });
      // Straight to the relay with a made-up header: not the proxy, so not believed.
      const direct = await TestPeer.joinWith(`${relay.wsUrl}/v1/rooms/trust?name=d`, {
        headers: { "x-forwarded-for": "203.0.113.9" },
      }).catch(() => null);
      const last = relay.logs
        .filter((l) => l.event === "join" || l.event === "join_refused")
        .at(-1);
      expect(last?.address).toBe("127.0.0.1");
      for (const peer of [a, b, direct]) peer?.ws.close(1000);
    },
    30_000,
  );

  test.skipIf(!hasNginx || !hasOpenssl)(
    "without it, they see the proxy's address",
    async () => {
      const relay = await relayWith(limits);
      const proxy = await proxyFor("nginx", relay, "", { bindAddress: "127.0.0.2" });
      const tls = { ca: cert?.pem };
      const a = await TestPeer.joinWith(`${wssOf(proxy.base)}/v1/rooms/trust?name=a`, { tls });
      expect(relay.logs.find((l) => l.event === "join")?.address).toBe("127.0.0.2");
      a.ws.close(1000);
    },
    30_000,
  );
});
