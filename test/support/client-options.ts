// The client's command line as the option tests read it: parsed options, or the usage error.
import { type ClientOptions, parseCommand, UsageError } from "../../client/options.ts";

export function options(argv: string[], env: Record<string, string> = {}): ClientOptions {
  const parsed = parseCommand(argv, env);
  if (!("options" in parsed)) throw new Error("unexpected --help or --version");
  return parsed.options;
}

/** The UsageError message a command line gets; fails when it gets none. */
export function usageError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommand(argv, env);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`no error for ${argv.join(" ")}`);
}
