// A bad flag, environment variable or config file entry: main.ts prints it on one line, exits 2.
export class ConfigError extends Error {}
