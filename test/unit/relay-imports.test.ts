// The relay's modules import one another without a value-level cycle: a cycle is safe only while
// no module of it uses an import at load time, which nothing checks. Type-only imports (erased by
// the compiler) don't count.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const RELAY = resolve(import.meta.dir, "..", "../relay");

function relayFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return relayFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of a module that survive compilation (not `import type`, not all-`type` lists). */
function valueImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const found: string[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)"/gms;
  for (const match of source.matchAll(statement)) {
    const [, , typeOnly, clause = "", specifier = ""] = match;
    if (typeOnly) continue;
    const named = /^\{([^}]*)\}$/s.exec(clause.trim());
    if (named) {
      const names = (named[1] ?? "")
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
      if (names.length > 0 && names.every((name) => name.startsWith("type "))) continue;
    }
    found.push(resolve(dirname(file), specifier));
  }
  return found;
}

/** Every import cycle among `files`, as a path of relay-relative names. */
function cycles(files: string[]): string[][] {
  const graph = new Map(
    files.map((file) => [file, valueImports(file).filter((f) => f.startsWith(RELAY))]),
  );
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        found.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(RELAY, f)));
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

test("the checker sees a value import and ignores type-only ones", () => {
  const imports = valueImports(join(RELAY, "sockets.ts")).map((f) => relative(RELAY, f));
  expect(imports).toContain("log.ts");
  // `import type { RoomBus }`: erased, not an edge.
  expect(imports).not.toContain("cluster/room-bus.ts");
});

test("no value-level import cycle in relay/", () => {
  expect(cycles(relayFiles(RELAY))).toEqual([]);
});
