// `--version` for the relay, the client and the bench: the project's version from package.json
// and the Bun that runs it (what a bug report needs).
import pkg from "../package.json" with { type: "json" };

export const FRAMECAST_VERSION: string = pkg.version;

/** "framecast relay 0.1.0 (bun 1.4.5)". */
export function versionLine(program: string): string {
  return `framecast ${program} ${FRAMECAST_VERSION} (bun ${Bun.version})\n`;
}
