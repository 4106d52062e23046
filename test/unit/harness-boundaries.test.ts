// bench/ and test/ share harness/ and never import each other; harness/ imports neither. Counts
// every relative specifier (static, type-only, dynamic `import()`, `new URL(..., import.meta.url)`).
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : tsFiles(path);
    return /\.(ts|tsx|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** The top-level folder each relative specifier in `source` (a file at `file`) lands in. */
export function importedTops(file: string, source: string): string[] {
  const specifier =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)["'](\.\.?\/[^"']*)["']/g;
  return [...source.matchAll(specifier)].map((match) => {
    const target = relative(ROOT, resolve(dirname(file), match[1] ?? ""));
    return target.split(sep)[0] ?? "";
  });
}

function violations(from: string, forbidden: string[]): string[] {
  return tsFiles(join(ROOT, from)).flatMap((file) => {
    const tops = importedTops(file, readFileSync(file, "utf8"));
    return tops
      .filter((top) => forbidden.includes(top))
      .map((top) => `${relative(ROOT, file)} imports ${top}/`);
  });
}

test("the scanner sees static, type-only, dynamic and URL imports", () => {
  const file = join(ROOT, "bench", "x.ts");
  const source = [
    'import { a } from "../test/support/a.ts";',
    'import type { B } from "../test/b.ts";',
    'const c = await import("../test/c.ts");',
    'const d = new URL("../test/d.ts", import.meta.url);',
    'import { e } from "../harness/e.ts";',
    'import "./f.ts";',
  ].join("\n");
  expect(importedTops(file, source)).toEqual(["test", "test", "test", "test", "harness", "bench"]);
});

test("no file under bench/ imports test/", () => {
  expect(violations("bench", ["test"])).toEqual([]);
});

test("no file under test/ imports bench/", () => {
  expect(violations("test", ["bench"])).toEqual([]);
});

test("harness/ imports neither bench/ nor test/", () => {
  expect(violations("harness", ["bench", "test"])).toEqual([]);
});
