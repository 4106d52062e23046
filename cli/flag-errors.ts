// One plain line for a node:util parseArgs error. Its own messages run over several lines with
// advice about `--` and positionals that reads as noise (and with quotes that don't pair up once
// cut), so each kind of mistake gets a short sentence naming the flag.

const QUOTED = /'([^']*)'/;

export function flagErrorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = QUOTED.exec(message)?.[1] ?? "";
  const flag = quoted.replace(/ <value>$/, "");
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument '${flag}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(message)) return `${flag} takes no value`;
      if (/ambiguous/.test(message))
        return `${flag} needs a value (one that starts with a dash goes as ${flag}=VALUE)`;
      return `${flag} needs a value`;
    default:
      return (message.split("\n")[0] ?? message).replace(/\.$/, "");
  }
}
