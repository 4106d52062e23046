// The browser client: web/index.html and everything it imports (web/*.ts, protocol/, CSS),
// bundled by Bun.build on the first request and kept in memory. Assets get content-hashed names,
// so they are cached forever; the page itself is revalidated.
import { basename, join } from "node:path";
import { Elysia } from "elysia";
import { isValidRoomName } from "../../protocol/index.ts";
import { log } from "../log.ts";

const PAGE_ENTRY = join(import.meta.dir, "..", "..", "web", "index.html");
/** The sound playback AudioWorklet: its own bundle, loaded by the page at a fixed URL. */
const WORKLET_ENTRY = join(
  import.meta.dir,
  "..",
  "..",
  "web",
  "audio",
  "watch",
  "playback-worklet.ts",
);
const WORKLET_ASSET = "playback-worklet.js";
export const ASSET_PREFIX = "/assets/";

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

interface WebBundle {
  page: Uint8Array<ArrayBuffer>;
  assets: Map<string, Asset>;
}

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "permissions-policy": "camera=(self), microphone=(self)",
  // Only our own script, style and socket; frames are drawn from blobs the page itself makes.
  "content-security-policy":
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; " +
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
};

let bundle: Promise<WebBundle> | null = null;

async function buildBundle(): Promise<WebBundle> {
  const started = performance.now();
  const result = await Bun.build({
    entrypoints: [PAGE_ENTRY],
    target: "browser",
    minify: true,
    sourcemap: "linked",
    publicPath: ASSET_PREFIX,
  });
  if (!result.success) throw new AggregateError(result.logs, "web page build failed");
  let page: Uint8Array<ArrayBuffer> | null = null;
  const assets = new Map<string, Asset>();
  for (const output of result.outputs) {
    const body = new Uint8Array(await output.arrayBuffer());
    const name = basename(output.path);
    if (name === "index.html") page = body;
    else assets.set(name, { body, type: output.type || "application/octet-stream" });
  }
  if (!page) throw new Error("web page build produced no index.html");
  // The worklet runs in the AudioWorkletGlobalScope, apart from the page: built on its own.
  const worklet = await Bun.build({
    entrypoints: [WORKLET_ENTRY],
    target: "browser",
    minify: true,
  });
  const workletOutput = worklet.outputs[0];
  if (!worklet.success || !workletOutput)
    throw new AggregateError(worklet.logs, "worklet build failed");
  assets.set(WORKLET_ASSET, {
    body: new Uint8Array(await workletOutput.arrayBuffer()),
    type: "text/javascript;charset=utf-8",
  });
  log("info", "web_page_built", {
    ms: Math.round(performance.now() - started),
    assets: assets.size,
  });
  return { page, assets };
}

/** The bundle, built once; a failed build is retried on the next request. */
function webBundle(): Promise<WebBundle> {
  bundle ??= buildBundle().catch((error: unknown) => {
    bundle = null;
    throw error;
  });
  return bundle;
}

function buildFailed(error: unknown): Response {
  const detail =
    error instanceof AggregateError ? error.errors.map(String).join("; ") : String(error);
  log("error", "web_page_build_failed", { error: detail.slice(0, 2000) });
  return new Response("the web client could not be built; see the relay log\n", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

const ABSOLUTE_ASSETS = `"${ASSET_PREFIX}`;
const PREFIX_PATTERN = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/**
 * The sub-path a proxy serves the relay under (X-Forwarded-Prefix: /call, set by the configs in
 * deploy/), or "". Only a plain path is taken: the value ends up in the page's asset links.
 */
export function forwardedPrefix(request: Request): string {
  const prefix = request.headers.get("x-forwarded-prefix")?.replace(/\/+$/, "") ?? "";
  return PREFIX_PATTERN.test(prefix) ? prefix : "";
}

/**
 * The browser client's HTML (for GET / without an upgrade, and /r/:room), its asset links under
 * the proxy's prefix. The page builds every other URL from its own address.
 */
export async function pageResponse(prefix = ""): Promise<Response> {
  try {
    const { page } = await webBundle();
    if (prefix === "") return new Response(page, { headers: PAGE_HEADERS });
    const html = new TextDecoder()
      .decode(page)
      .replaceAll(ABSOLUTE_ASSETS, `"${prefix}${ASSET_PREFIX}`);
    return new Response(html, { headers: PAGE_HEADERS });
  } catch (error) {
    return buildFailed(error);
  }
}

async function assetResponse(name: string): Promise<Response> {
  try {
    const asset = (await webBundle()).assets.get(name);
    if (!asset) return new Response("no such asset\n", { status: 404 });
    return new Response(asset.body, {
      headers: {
        "content-type": asset.type,
        // Hashed names never change; the worklet's fixed name must be revalidated.
        "cache-control":
          name === WORKLET_ASSET ? "no-cache" : "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (error) {
    return buildFailed(error);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** /r/NAME with a name no room can have: a page that says which names work, and links back. */
function badRoomPage(room: string, prefix: string): Response {
  const shown = escapeHtml(room.slice(0, 80));
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>No such room name</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<h1>"${shown}" is not a room name</h1>
<p>Room names are 1 to 64 characters: letters A-Z a-z, digits 0-9, _ and - (no spaces).</p>
<p><a href="${escapeHtml(prefix)}/">Back to the start page</a> to pick a room.</p></body></html>\n`;
  return new Response(html, {
    status: 404,
    headers: { ...PAGE_HEADERS, "content-security-policy": "default-src 'none'" },
  });
}

/** Routes of the browser client besides "/": room links and the bundled assets. */
export const webPage = new Elysia({ name: "web-page" })
  .get("/r/:room", ({ params, request }) =>
    isValidRoomName(params.room)
      ? pageResponse(forwardedPrefix(request))
      : badRoomPage(safeDecode(params.room), forwardedPrefix(request)),
  )
  .get(`${ASSET_PREFIX}:file`, ({ params }) => assetResponse(params.file));
