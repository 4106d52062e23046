// `--tls self-signed`: a certificate for this machine's names and addresses (127.0.0.1, ::1,
// localhost, the hostname, each LAN IPv4), made once with openssl and kept in the data directory,
// so a restart serves the same one and browsers and `--ca` keep trusting it. A new one is made
// only when it expires within a week or the machine gained an address it doesn't cover.
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir, hostname, networkInterfaces } from "node:os";
import { join } from "node:path";

export interface SelfSignedTls {
  certPath: string;
  keyPath: string;
  /** SHA-256 fingerprint, AA:BB:..., to compare with what a browser shows. */
  fingerprint: string;
  /** Names and addresses it is valid for. */
  names: string[];
  /** False when an existing certificate was reused. */
  created: boolean;
}

const DAYS = 825; // the longest validity browsers accept for a TLS server certificate
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

/** $FRAMECAST_DATA_DIR, else $XDG_DATA_HOME/framecast, else ~/.local/share/framecast; then tls/. */
export function selfSignedDir(env: Record<string, string | undefined> = process.env): string {
  const base =
    env.FRAMECAST_DATA_DIR ??
    join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "framecast");
  return join(base, "tls");
}

/** DNS names and IP addresses this machine is reached at. */
export function machineNames(): { dns: string[]; ips: string[] } {
  const host = hostname();
  const dns = ["localhost", ...(host && host !== "localhost" ? [host, `${host}.local`] : [])];
  const ips = ["127.0.0.1", "::1"];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (!entry.internal && entry.family === "IPv4") ips.push(entry.address);
    }
  }
  return { dns: [...new Set(dns)], ips: [...new Set(ips)] };
}

function covers(cert: X509Certificate, dns: string[], ips: string[]): boolean {
  const san = cert.subjectAltName ?? "";
  // Node writes IPv6 SANs expanded; ::1 is always covered since we always put it in.
  return (
    dns.every((name) => san.includes(`DNS:${name}`)) &&
    ips.filter((ip) => !ip.includes(":")).every((ip) => san.includes(`IP Address:${ip}`))
  );
}

function reusable(certPath: string, keyPath: string, dns: string[], ips: string[]) {
  if (!existsSync(certPath) || !existsSync(keyPath)) return null;
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return null;
    return covers(cert, dns, ips) ? cert : null;
  } catch {
    return null; // unreadable: make a new one
  }
}

export class SelfSignedError extends Error {}

function makeCertificate(certPath: string, keyPath: string, dns: string[], ips: string[]): void {
  const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(",");
  let made: ReturnType<typeof Bun.spawnSync>;
  try {
    made = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        String(DAYS),
        "-subj",
        `/CN=framecast relay on ${hostname() || "localhost"}`,
        "-addext",
        `subjectAltName=${san}`,
        "-keyout",
        keyPath,
        "-out",
        certPath,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
  } catch {
    throw new SelfSignedError(
      "--tls self-signed needs openssl (apt install openssl, brew install openssl); or pass --tls-cert and --tls-key",
    );
  }
  if (made.exitCode !== 0) {
    throw new SelfSignedError(
      `--tls self-signed: openssl failed: ${made.stderr?.toString().trim().slice(0, 300)}`,
    );
  }
  chmodSync(keyPath, 0o600);
}

/** The certificate to serve: the stored one when it still fits, else a new one. */
export function ensureSelfSignedTls(dir: string = selfSignedDir()): SelfSignedTls {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const { dns, ips } = machineNames();
  let cert = reusable(certPath, keyPath, dns, ips);
  const created = cert === null;
  if (!cert) {
    makeCertificate(certPath, keyPath, dns, ips);
    cert = new X509Certificate(readFileSync(certPath));
  }
  return {
    certPath,
    keyPath,
    fingerprint: cert.fingerprint256,
    names: [...dns, ...ips],
    created,
  };
}
