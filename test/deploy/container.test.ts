// The container image (deploy/Containerfile), built the way CI builds it (deploy/build-image.sh),
// run with podman: non-root, healthy on /healthz, and a Chromium page and a CLI participant hold a
// call through it. Long (the first build installs Debian packages and Bun): bounded at 20 min.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { spawn } from "bun";
import { available } from "../../harness/tools.ts";
import { closeAllBrowsers, hasChromium, launchBrowser } from "../support/browser.ts";
import { freePort } from "../support/reverse-proxy.ts";
import { joinAs, openPage, waitForRemoteTiles } from "../support/room-page.ts";

const ROOT = join(import.meta.dir, "..", "..");
const IMAGE = "localhost/framecast-relay-test";
const NAME = `framecast-test-${process.pid}`;
const PODMAN = ["podman", "--runtime", "runc"];
const isRoot = process.getuid?.() === 0;
const hasPodman = available(
  "podman, runc and debootstrap, as root (apt-get install podman runc debootstrap)",
  isRoot && ["podman", "runc", "debootstrap"].every((tool) => Bun.which(tool) !== null),
);

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  await closeAllBrowsers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function run(args: string[], timeoutMs: number) {
  const result = Bun.spawnSync(args, { cwd: ROOT, timeout: timeoutMs });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

test.skipIf(!hasPodman || !hasChromium)(
  "the image builds, runs as non-root, passes its health check and carries a call",
  async () => {
    const build = run([join(ROOT, "deploy", "build-image.sh"), IMAGE], 15 * 60_000);
    if (build.code !== 0) throw new Error(`image build failed: ${build.err.slice(-3000)}`);
    const port = await freePort();
    cleanups.push(() => run([...PODMAN, "rm", "-f", "-t", "2", NAME], 30_000));
    const started = run(
      [
        ...PODMAN,
        "run",
        "-d",
        "--name",
        NAME,
        "--network",
        "host",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        "-e",
        `RELAY_PORT=${port}`,
        "-e",
        "RELAY_HOST=127.0.0.1",
        IMAGE,
      ],
      60_000,
    );
    // Without systemd on the host podman can't schedule the health check (it says so); `healthcheck run` below still runs it.
    if (started.code !== 0) throw new Error(`podman run failed: ${started.err}`);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await Bun.sleep(250);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(run([...PODMAN, "healthcheck", "run", NAME], 30_000).code).toBe(0);
    expect(run([...PODMAN, "exec", NAME, "id", "-u"], 30_000).out.trim()).not.toBe("0");

    const browser = await launchBrowser();
    const web = await openPage(browser, `${base}/`);
    await joinAs(web.page, "web", "boxed");
    const client = spawn(
      [
        process.execPath,
        join(ROOT, "client", "main.ts"),
        "--source",
        "test",
        "--size",
        "320x240",
        "--fps",
        "10",
        "--name",
        "cli",
        "--relay",
        `ws://127.0.0.1:${port}/v1/rooms/boxed`,
      ],
      { stdout: "ignore", stderr: "ignore", stdin: "ignore" },
    );
    cleanups.push(async () => {
      client.kill("SIGINT");
      const killer = setTimeout(() => client.kill("SIGKILL"), 5000);
      await client.exited;
      clearTimeout(killer);
    });
    await waitForRemoteTiles(web.page, ["cli"], 20, 40_000);
    const logs = run([...PODMAN, "logs", NAME], 30_000).out;
    expect(logs).toContain('"event":"join"');
  },
  20 * 60_000,
);
