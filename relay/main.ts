// `bun run relay`: parse flags, start, log one line with the URL, shut down cleanly on signals.
import { ConfigError, parseRelayConfig, relayHelp } from "./config.ts";
import { log, setLogLevel } from "./log.ts";
import { logSecurityPosture } from "./security/security-log.ts";
import { runTokenCommand } from "./security/token-command.ts";
import { startRelay } from "./server.ts";

function main(): void {
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
    process.stderr.write(`relay: ${error.message}\nTry --help.\n`);
    process.exit(2);
  }
  if (config === "help") {
    process.stdout.write(`${relayHelp()}\n`);
    return;
  }
  setLogLevel(config.logLevel);
  let relay: ReturnType<typeof startRelay>;
  try {
    relay = startRelay(config);
  } catch (error) {
    process.stderr.write(
      `relay: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`,
    );
    process.exit(1);
  }
  log("notice", "listening", {
    url: relay.url,
    maxFrameBytes: config.maxFrameBytes,
    maxPeers: config.maxPeersPerRoom,
    maxRooms: config.maxRooms,
    backpressureLimit: config.backpressureLimitBytes,
    auth: config.security.authSecret !== null,
    tls: config.security.tlsCertPath !== null,
  });
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

main();
