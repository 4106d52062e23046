// Frame encryption cost per frame, in Bun and in Chromium, with the one implementation both use
// (protocol/frame-encryption.ts, WebCrypto AES-GCM):
//   bun bench/processes/e2ee-crypto/main.ts [--frame-bytes 20000] [--iterations 2000] [--no-browser]
// Chromium needs a secure context for crypto.subtle: the page is served from 127.0.0.1.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { type CryptoTiming, timeFrameCrypto } from "./timing.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    "frame-bytes": { type: "string", default: "20000" },
    iterations: { type: "string", default: "2000" },
    "no-browser": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(
    "Usage: npx bun bench/processes/e2ee-crypto/main.ts [--frame-bytes N] [--iterations N] [--no-browser]",
  );
  process.exit(0);
}
const frameBytes = Number(values["frame-bytes"]);
const iterations = Number(values.iterations);
if (
  !(
    Number.isInteger(frameBytes) &&
    frameBytes > 0 &&
    Number.isInteger(iterations) &&
    iterations > 0
  )
) {
  console.error("--frame-bytes and --iterations must be positive whole numbers");
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function line(where: string, t: CryptoTiming): string {
  return (
    `${where.padEnd(9)} ${t.frameBytes} B frame, +${t.overheadBytes} B: ` +
    `seal ${t.sealMicros.median} µs (p90 ${t.sealMicros.p90}), ` +
    `open ${t.openMicros.median} µs (p90 ${t.openMicros.p90}) one at a time; ` +
    `pipelined seal ${t.pipelinedSealMicros} µs, open ${t.pipelinedOpenMicros} µs; ${t.iterations} frames`
  );
}

async function inChromium(): Promise<CryptoTiming> {
  const build = await Bun.build({
    entrypoints: [new URL("./browser-entry.ts", import.meta.url).pathname],
    target: "browser",
    format: "iife",
  });
  if (!build.success) throw new Error(build.logs.join("\n"));
  const script = await (build.outputs[0] as Blob).text();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response("<!doctype html><title>e2ee timing</title>", {
        headers: { "content-type": "text/html" },
      }),
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.addScriptTag({ content: script });
    return (await page.evaluate(
      ([bytes, count]) =>
        (
          globalThis as unknown as { timeFrameCrypto: (b: number, n: number) => Promise<unknown> }
        ).timeFrameCrypto(bytes as number, count as number),
      [frameBytes, iterations],
    )) as CryptoTiming;
  } finally {
    await browser.close();
    server.stop(true);
  }
}

console.log(line("Bun", await timeFrameCrypto(frameBytes, iterations)));
if (!values["no-browser"]) {
  if (!existsSync(CHROMIUM)) console.log(`Chromium: skipped (${CHROMIUM} not found)`);
  else console.log(line("Chromium", await inChromium()));
}
