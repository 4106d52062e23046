// Every repository path README.md and docs/ name in backticks exists (files move; docs must follow).
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Glob } from "bun";

const ROOT = join(import.meta.dir, "..", "..");
const TOP = "relay|client|client-core|web|protocol|bench|test|harness|deploy|scripts|cli|docs";
const PATH = new RegExp(`\`((?:${TOP})/[\\w./*-]*)\``, "g");

function docs(): string[] {
  const inDocs = readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md"));
  return ["README.md", ...inDocs.map((name) => `docs/${name}`)];
}

function exists(path: string): boolean {
  if (!path.includes("*")) return existsSync(join(ROOT, path));
  return new Glob(path).scanSync({ cwd: ROOT, onlyFiles: false }).next().done === false;
}

test("every path named in README.md and docs/*.md exists", () => {
  const missing: string[] = [];
  for (const doc of docs()) {
    readFileSync(join(ROOT, doc), "utf8")
      .split("\n")
      .forEach((line, index) => {
        for (const match of line.matchAll(PATH)) {
          const path = (match[1] ?? "").replace(/[/.]+$/, "");
          if (!exists(path)) missing.push(`${doc}:${index + 1} ${path}`);
        }
      });
  }
  expect(missing).toEqual([]);
});
