// `bun run relay`: parse flags, start, log one line with the URL, shut down cleanly on signals.
import { exitQuietlyOnClosedStdout, writeStdout } from "../cli/stdout.ts";
import { versionLine } from "../cli/version.ts";
import { ConfigError, parseRelayConfig, relayHelp, wantsPrintConfig } from "./config.ts";
import { pageUrls } from "./http/page-urls.ts";
import { log, setLogLevel } from "./log.ts";
import { printableConfig } from "./print-config.ts";
import { logSecurityPosture } from "./security/security-log.ts";
import { ensureSelfSignedTls, SelfSignedError } from "./security/self-signed.ts";
import { runTokenCommand } from "./security/token-command.ts";
import { startRelay } from "./server.ts";

/** How to trust the self-signed certificate: where it is, its fingerprint, the CLI's --ca. */
function logSelfSigned(tls: ReturnType<typeof ensureSelfSignedTls>, port: number): void {
  log("notice", "tls_self_signed", {
    cert: tls.certPath,
    fingerprint: tls.fingerprint,
    created: tls.created,
    names: tls.names,
    message:
      `self-signed certificate ${tls.created ? "made" : "reused"}: ${tls.certPath} ` +
      `(SHA-256 ${tls.fingerprint}). Browsers: open the https:// page, check the fingerprint, accept ` +
      `the warning (or import the file as a trusted authority). CLI: npm run client -- --ca ` +
      `${tls.certPath} --relay wss://HOST:${port} ...`,
  });
}

async function main(): Promise<void> {
  exitQuietlyOnClosedStdout();
  // `bun run relay token ...` mints join tokens instead of starting a relay.
  if (process.argv[2] === "token") {
    runTokenCommand(process.argv.slice(3), process.env).then((code) => process.exit(code));
    return;
  }
  let config: ReturnType<typeof parseRelayConfig>;
  try {
    config = parseRelayConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`relay: ${error.message} (see --help)\n`);
    process.exit(2);
  }
  if (config === "help") {
    writeStdout(`${relayHelp()}\n`);
    return;
  }
  if (config === "version") {
    writeStdout(versionLine("relay"));
    return;
  }
  if (wantsPrintConfig(process.argv)) {
    writeStdout(`${JSON.stringify(printableConfig(config), null, 2)}\n`);
    return;
  }
  setLogLevel(config.logLevel);
  let selfSigned: ReturnType<typeof ensureSelfSignedTls> | null = null;
  if (config.security.tlsSelfSigned) {
    try {
      selfSigned = ensureSelfSignedTls();
    } catch (error) {
      if (!(error instanceof SelfSignedError)) throw error;
      process.stderr.write(`relay: ${error.message}\n`);
      process.exit(1);
    }
    config.security.tlsCertPath = selfSigned.certPath;
    config.security.tlsKeyPath = selfSigned.keyPath;
  }
  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    relay = await startRelay(config);
  } catch (error) {
    // One line, no stack: the usual cause is a relay already running (see --reuse-port).
    const busy = (error as { code?: string }).code === "EADDRINUSE";
    process.stderr.write(
      busy
        ? `relay: port ${config.port} is already in use\n`
        : `relay: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`,
    );
    process.exit(1);
  }
  const tls = config.security.tlsCertPath !== null;
  log("notice", "listening", {
    // What to open in a browser; `url` is where WebSocket clients connect.
    page: pageUrls(config.host, relay.server.port ?? config.port, tls),
    url: relay.url,
    // The relay's own process (under `npm run relay` npm's pid is another one).
    pid: process.pid,
    maxFrameBytes: config.maxFrameBytes,
    maxPeers: config.maxPeersPerRoom,
    maxRooms: config.maxRooms,
    backpressureLimit: config.backpressureLimitBytes,
    auth: config.security.authSecret !== null,
    tls,
  });
  if (selfSigned) logSelfSigned(selfSigned, relay.server.port ?? config.port);
  logSecurityPosture(config.host, config.security);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("notice", "shutdown", { signal });
    relay.stop().then(
      () => process.exit(0),
      (error) => {
        log("error", "shutdown_failed", { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

void main();
