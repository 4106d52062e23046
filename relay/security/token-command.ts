// `npm run relay -- token --room R --name N [--ttl 1h] [--view-only] [--moderate]`: mints a join token with the
// relay's secret and prints it with a join URL for the browser page and a client command line.
import { parseArgs } from "node:util";
import { cleanName, DEFAULT_PORT, isValidRoomName } from "../../protocol/index.ts";
import { MIN_SECRET_LENGTH, mintJoinToken, parseTtl, secretKey } from "./tokens.ts";

const DEFAULT_TTL = "1h";
const MAX_TTL_SECONDS = 366 * 86_400;
const DEFAULT_RELAY_URL = `http://localhost:${DEFAULT_PORT}`;

export function tokenHelp(): string {
  return [
    "Usage: npm run relay -- token --room ROOM --name NAME [--ttl 1h] [--view-only] [--moderate] [options]",
    "       (with Bun installed: bun run relay token ...)",
    "",
    "Mints a signed join token for one room and prints it, a join URL for the browser page and",
    "a command line for the client.",
    "",
    "Options:",
    "  --room ROOM          room the token admits to (1-64 of A-Z a-z 0-9 _ -); required",
    "  --name NAME          display name the holder gets (wins over ?name=); required",
    `  --ttl DURATION       lifetime: 90s, 15m, 1h, 7d (default ${DEFAULT_TTL})`,
    "  --view-only          holder may watch but not publish (its frames are dropped)",
    "  --moderate           holder may moderate the room: stop media, remove, lock, end",
    "  --auth-secret SECRET the relay's --auth-secret (env RELAY_AUTH_SECRET)",
    `  --relay-url URL      how people reach the relay, e.g. https://relay.example.org:8765`,
    `                       (env RELAY_PUBLIC_URL, default ${DEFAULT_RELAY_URL})`,
    "  --json               print one JSON object instead of text",
    "  --help               show this help",
  ].join("\n");
}

export class TokenUsageError extends Error {}

export interface TokenCommandOptions {
  room: string;
  name: string;
  ttlSeconds: number;
  canPublish: boolean;
  canModerate: boolean;
  secret: string;
  /** http(s):// base of the relay, no trailing slash. */
  pageBase: string;
  /** ws(s):// base of the relay, no trailing slash. */
  socketBase: string;
  json: boolean;
}

function relayBases(raw: string): { pageBase: string; socketBase: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TokenUsageError(`--relay-url: not a URL: "${raw}"`);
  }
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) {
    throw new TokenUsageError(`--relay-url: use http(s):// or ws(s)://, not "${raw}"`);
  }
  return {
    pageBase: `${secure ? "https" : "http"}://${url.host}`,
    socketBase: `${secure ? "wss" : "ws"}://${url.host}`,
  };
}

export function parseTokenCommand(
  argv: string[],
  env: Record<string, string | undefined>,
): TokenCommandOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        room: { type: "string" },
        name: { type: "string" },
        ttl: { type: "string" },
        "view-only": { type: "boolean" },
        moderate: { type: "boolean" },
        "auth-secret": { type: "string" },
        "relay-url": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new TokenUsageError((error as Error).message.split("\n")[0] ?? "bad arguments");
  }
  if (values.help) return "help";
  const room = values.room;
  if (typeof room !== "string" || !isValidRoomName(room)) {
    throw new TokenUsageError("--room: required, 1-64 characters of A-Z a-z 0-9 _ -");
  }
  const name = typeof values.name === "string" ? cleanName(values.name, "") : "";
  if (name === "") throw new TokenUsageError("--name: required (the holder's display name)");
  const ttlText = typeof values.ttl === "string" ? values.ttl : DEFAULT_TTL;
  const ttlSeconds = parseTtl(ttlText);
  if (ttlSeconds === null || ttlSeconds > MAX_TTL_SECONDS) {
    throw new TokenUsageError(`--ttl: expected a duration like 90s, 15m, 1h or 7d (max 366d)`);
  }
  const secret = (values["auth-secret"] as string | undefined) ?? env.RELAY_AUTH_SECRET ?? "";
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new TokenUsageError(
      `--auth-secret (or RELAY_AUTH_SECRET): the relay's secret, at least ${MIN_SECRET_LENGTH} characters`,
    );
  }
  const relayUrl =
    (values["relay-url"] as string | undefined) ?? env.RELAY_PUBLIC_URL ?? DEFAULT_RELAY_URL;
  return {
    room,
    name,
    ttlSeconds,
    canPublish: values["view-only"] !== true,
    canModerate: values.moderate === true,
    secret,
    ...relayBases(relayUrl),
    json: values.json === true,
  };
}

export interface MintedToken {
  token: string;
  room: string;
  name: string;
  canPublish: boolean;
  canModerate: boolean;
  expiresAt: string;
  joinUrl: string;
  clientCommand: string;
}

export async function mintForCommand(options: TokenCommandOptions): Promise<MintedToken> {
  const now = Date.now();
  const token = await mintJoinToken(secretKey(options.secret), options, now);
  const source = options.canPublish ? "--device /dev/video0" : "--no-send";
  return {
    token,
    room: options.room,
    name: options.name,
    canPublish: options.canPublish,
    canModerate: options.canModerate,
    expiresAt: new Date(now + options.ttlSeconds * 1000).toISOString(),
    joinUrl: `${options.pageBase}/r/${options.room}?token=${token}`,
    // npm's form works wherever `npm install` did (Bun itself may not be on PATH).
    clientCommand: `npm run client -- --relay ${options.socketBase} --room ${options.room} --token ${token} ${source}`,
  };
}

/** Runs the subcommand; returns the process exit code. */
export async function runTokenCommand(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  let options: ReturnType<typeof parseTokenCommand>;
  try {
    options = parseTokenCommand(argv, env);
  } catch (error) {
    if (!(error instanceof TokenUsageError)) throw error;
    process.stderr.write(`relay token: ${error.message} (see npm run relay -- token --help)\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${tokenHelp()}\n`);
    return 0;
  }
  const minted = await mintForCommand(options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(minted)}\n`);
    return 0;
  }
  process.stdout.write(
    [
      `token    ${minted.token}`,
      `for      ${minted.name} in room ${minted.room}, ${minted.canPublish ? "publish and view" : "view only"}${minted.canModerate ? ", moderate" : ""}, until ${minted.expiresAt}`,
      `browser  ${minted.joinUrl}`,
      `client   ${minted.clientCommand}`,
      "",
    ].join("\n"),
  );
  return 0;
}
