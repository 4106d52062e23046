// --config FILE: relay settings as TOML (Bun's built-in parser), one key per flag
// (`port = 8765`, `max-frame-bytes = "2MiB"`, `webhook = ["https://..."]`). Flags and environment
// variables still win; the file only replaces the defaults.
import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.ts";

export type FileValues = Record<string, string>;

function asText(key: string, value: unknown, repeatable: boolean): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
    // Lists are comma-separated on the command line; repeatable flags keep each item.
    return repeatable ? value.join("\n") : value.join(",");
  }
  throw new ConfigError(
    `config key ${key}: expected a string, number, boolean or list of strings, got ${JSON.stringify(value)}`,
  );
}

/** Reads and checks the file against the known keys; throws ConfigError naming the key. */
export function readConfigFile(
  path: string,
  knownKeys: ReadonlySet<string>,
  repeatableKeys: ReadonlySet<string>,
): FileValues {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`--config: cannot read ${path}: ${(error as Error).message}`);
  }
  let table: Record<string, unknown>;
  try {
    table = Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`--config ${path}: not valid TOML: ${(error as Error).message}`);
  }
  const values: FileValues = {};
  for (const [key, value] of Object.entries(table)) {
    if (!knownKeys.has(key)) {
      throw new ConfigError(`config key ${key}: unknown key in ${path} (keys are the flag names)`);
    }
    values[key] = asText(key, value, repeatableKeys.has(key));
  }
  return values;
}
