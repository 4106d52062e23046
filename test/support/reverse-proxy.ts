// Debian's nginx and Caddy in front of a test relay, from the configs in deploy/ (only ports,
// certificate paths and the host name changed), with TLS on a self-signed certificate.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Subprocess, spawn } from "bun";
import { available } from "../../harness/tools.ts";

const DEPLOY = join(import.meta.dir, "..", "..", "deploy");

export const hasNginx = available(
  "nginx (apt-get install nginx)",
  Bun.which("nginx") !== null || Bun.which("/usr/sbin/nginx") !== null,
);
export const hasCaddy = available("caddy (apt-get install caddy)", Bun.which("caddy") !== null);

export interface ProxyOptions {
  relayPort: number;
  certPath: string;
  keyPath: string;
  /** "" for the site root, "/call" for the sub-path configs. */
  prefix: "" | "/call";
  dir: string;
  /** nginx only: the address nginx connects to the relay from (proxy_bind). */
  bindAddress?: string;
}

export interface RunningProxy {
  port: number;
  /** https://127.0.0.1:PORT plus the prefix, no trailing slash. */
  base: string;
  proc: Subprocess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = probe.port as number;
  await probe.stop(true);
  return port;
}

async function waitUntilServing(proc: Subprocess, url: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) break;
    try {
      await fetch(url, { tls: { rejectUnauthorized: false } });
      return;
    } catch {
      await Bun.sleep(100);
    }
  }
  proc.kill("SIGKILL");
  throw new Error(`proxy did not start: ${log()}`);
}

function stopper(proc: Subprocess) {
  return async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await proc.exited;
    clearTimeout(killer);
  };
}

export async function startNginx(options: ProxyOptions): Promise<RunningProxy> {
  const port = await freePort();
  const dir = join(options.dir, `nginx-${port}`);
  mkdirSync(join(dir, "tmp"), { recursive: true });
  const upstream = (text: string) => {
    let out = text.replaceAll("127.0.0.1:8765", `127.0.0.1:${options.relayPort}`);
    if (options.bindAddress) {
      out = out.replaceAll(
        "proxy_http_version 1.1;",
        `proxy_http_version 1.1;\n        proxy_bind ${options.bindAddress};`,
      );
    }
    return out;
  };
  const root = upstream(readFileSync(join(DEPLOY, "nginx", "framecast.conf"), "utf8"))
    .replace("listen 443 ssl;", `listen 127.0.0.1:${port} ssl;`)
    .replace("listen [::]:443 ssl;", "")
    .replace("server_name example.org;", "server_name 127.0.0.1;")
    .replace(/ssl_certificate .*;/, `ssl_certificate ${options.certPath};`)
    .replace(/ssl_certificate_key .*;/, `ssl_certificate_key ${options.keyPath};`);
  let site = root;
  if (options.prefix === "/call") {
    // The sub-path location, inside the root config's server block in place of its location /.
    const location = upstream(
      readFileSync(join(DEPLOY, "nginx", "framecast-subpath.conf"), "utf8"),
    );
    site = root.replace(/ {4}location \/ \{[\s\S]*?\n {4}\}\n/, `${location}\n`);
  }
  writeFileSync(join(dir, "site.conf"), site);
  const tmp = join(dir, "tmp");
  writeFileSync(
    join(dir, "nginx.conf"),
    [
      "daemon off;",
      "worker_processes 1;",
      `pid ${join(dir, "nginx.pid")};`,
      `error_log ${join(dir, "error.log")} info;`,
      "events { worker_connections 256; }",
      "http {",
      "  access_log off;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
        (t) => `  ${t}_temp_path ${tmp}/${t};`,
      ),
      `  include ${join(dir, "site.conf")};`,
      "}",
    ].join("\n"),
  );
  const nginx = Bun.which("nginx") ?? "/usr/sbin/nginx";
  const proc = spawn([nginx, "-p", dir, "-c", join(dir, "nginx.conf")], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const readLog = () => {
    try {
      return readFileSync(join(dir, "error.log"), "utf8").slice(-2000);
    } catch {
      return "(no error.log)";
    }
  };
  const base = `https://127.0.0.1:${port}${options.prefix}`;
  await waitUntilServing(proc, `${base}/healthz`, readLog);
  return { port, base, proc, stop: stopper(proc) };
}

export async function startCaddy(options: ProxyOptions): Promise<RunningProxy> {
  const port = await freePort();
  const dir = join(options.dir, `caddy-${port}`);
  mkdirSync(dir, { recursive: true });
  const file = options.prefix === "/call" ? "Caddyfile.subpath" : "Caddyfile";
  const site = readFileSync(join(DEPLOY, "caddy", file), "utf8")
    .replaceAll("127.0.0.1:8765", `127.0.0.1:${options.relayPort}`)
    .replace(
      "example.org {",
      `https://127.0.0.1:${port} {\n\ttls ${options.certPath} ${options.keyPath}`,
    );
  // No admin API, no port 80 redirect listener, no certificate authority: the test's own cert.
  const global = "{\n\tadmin off\n\tauto_https disable_redirects\n}\n";
  writeFileSync(join(dir, "Caddyfile"), global + site);
  const proc = spawn(
    ["caddy", "run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"],
    {
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    },
  );
  let stderr = "";
  void (async () => {
    for await (const chunk of proc.stderr)
      stderr = (stderr + new TextDecoder().decode(chunk)).slice(-4000);
  })();
  const base = `https://127.0.0.1:${port}${options.prefix}`;
  await waitUntilServing(proc, `${base}/healthz`, () => stderr);
  return { port, base, proc, stop: stopper(proc) };
}
