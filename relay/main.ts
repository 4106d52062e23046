// `bun run relay`: parse flags, start, log one line with the URL, shut down cleanly on signals.
import { ConfigError, parseRelayConfig, relayHelp } from "./config.ts";
import { log, setLogLevel } from "./log.ts";
import { startRelay } from "./server.ts";

function main(): void {
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
  });
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
