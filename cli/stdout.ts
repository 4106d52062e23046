// Writing to stdout from the command-line programs when a reader may stop early: `--help | head`
// closes the pipe, and the next write fails with EPIPE. That is the reader's choice, not an
// error, so the program ends quietly (exit 0) instead of printing a stack trace.

function isBrokenPipe(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "EPIPE";
}

let guarded = false;

/** Makes a closed stdout end the process quietly; safe to call more than once. */
export function exitQuietlyOnClosedStdout(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on("error", (error) => {
    if (isBrokenPipe(error)) process.exit(0);
    throw error;
  });
}

/** Writes `text` to stdout; a reader that has gone away ends the process with exit code 0. */
export function writeStdout(text: string): void {
  exitQuietlyOnClosedStdout();
  try {
    process.stdout.write(text);
  } catch (error) {
    if (isBrokenPipe(error)) process.exit(0);
    throw error;
  }
}
