// framecast command-line client. Exit codes: 0 after Ctrl-C/SIGTERM, 1 when capture or a tool
// is missing or the relay refused us, 2 for bad flags or values (and capture with a view-only
// token), 130 on a second Ctrl-C (no clean-up).
import { exitQuietlyOnClosedStdout, writeStdout } from "../cli/stdout.ts";
import { versionLine } from "../cli/version.ts";
import { generateRoomKey, importRoomKey } from "../protocol/index.ts";
import { ffmpegHasLibx264, findFfmpeg, findFfplay, MissingToolError } from "./find-ffmpeg.ts";
import { helpText } from "./flags.ts";
import { parseCommand, UsageError } from "./options.ts";
import { ClientSession } from "./session.ts";
import { Terminal } from "./terminal.ts";

function fail(message: string, code: number): never {
  process.stderr.write(`framecast: ${message}\n`);
  process.exit(code);
}

/** Signals closer together than this are one keypress seen twice, not a second Ctrl-C. */
const DUPLICATE_SIGNAL_MS = 500;

async function main(): Promise<void> {
  exitQuietlyOnClosedStdout();
  if (process.argv[2] === "keygen") {
    if (process.argv.length > 3) fail("keygen takes no arguments", 2);
    // A fresh end-to-end room key for --e2ee-key / FRAMECAST_E2EE_KEY, alone on stdout for scripts.
    writeStdout(`${generateRoomKey()}\n`);
    return;
  }
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) fail(error.message, 2);
    throw error;
  }
  if (command.help) {
    writeStdout(helpText());
    return;
  }
  if (command.version) {
    writeStdout(versionLine("client"));
    return;
  }
  const { options } = command;

  let ffmpeg: string;
  let ffplay: string | null = null;
  try {
    ffmpeg = await findFfmpeg(options.ffmpeg);
    if (options.view) ffplay = findFfplay(options.ffplay, ffmpeg);
  } catch (error) {
    if (error instanceof MissingToolError) fail(error.message, 1);
    throw error;
  }

  if (options.source === null) options.codec ??= "jpeg";
  else if (options.codec !== "jpeg") {
    const x264 = ffmpegHasLibx264(ffmpeg);
    if (options.codec === "h264" && !x264) {
      fail(`--codec h264 needs an ffmpeg with libx264 (${ffmpeg} has none): use --codec jpeg`, 1);
    }
    if (!x264) process.stderr.write("framecast: ffmpeg has no libx264: sending JPEG\n");
    options.codec = x264 ? "h264" : "jpeg";
  }

  const roomKey = options.e2eeKey === null ? null : await importRoomKey(options.e2eeKey);
  const terminal = new Terminal();
  const session = new ClientSession(options, { ffmpeg, ffplay, roomKey }, terminal);
  let stopping: Promise<void> | null = null;
  let stopRequestedAt = 0;
  const stop = (code: number) => {
    if (stopping) {
      // A second Ctrl-C means "out now". One keypress can deliver two signals at once, though:
      // the terminal signals the whole process group and `bun run` forwards its copy too.
      if (performance.now() - stopRequestedAt > DUPLICATE_SIGNAL_MS) process.exit(130);
      return;
    }
    stopRequestedAt = performance.now();
    stopping = session.stop().then(() => process.exit(code));
  };
  process.on("SIGINT", () => stop(0));
  process.on("SIGTERM", () => stop(0));
  void session.fatal.then(({ message, exitCode }) => {
    terminal.log(message);
    stop(exitCode);
  });
  session.start();
}

await main();
