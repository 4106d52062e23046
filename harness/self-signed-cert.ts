// A throwaway certificate for 127.0.0.1, made with openssl: TLS tests and the security bench.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface SelfSignedCert {
  certPath: string;
  keyPath: string;
  /** The certificate's PEM, to trust as a CA in clients. */
  pem: string;
}

export function makeSelfSignedCert(dir: string, days = 2): SelfSignedCert {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const made = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    String(days),
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ]);
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  return { certPath, keyPath, pem: readFileSync(certPath, "utf8") };
}
