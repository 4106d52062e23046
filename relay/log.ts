// Structured logs: one JSON object per line on stdout, so operators can grep or ship them as is.

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
/** "notice" is for lifecycle lines (listening, shutdown) that every level but silent shows. */
type EventLevel = Exclude<LogLevel, "silent"> | "notice";
const RANK: Record<LogLevel | "notice", number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  notice: 50,
  silent: 99,
};

let threshold = RANK.info;

export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

export function log(level: EventLevel, event: string, fields: object = {}): void {
  if (RANK[level] < threshold) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
  if (level === "error" || level === "warn") process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}
