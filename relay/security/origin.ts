// Origin checks for browser upgrades. Browsers always send Origin on a WebSocket upgrade and a page
// can't forge it, so an allow-list stops other sites from opening sockets in a visitor's name.
// Non-browser clients (CLI, old Python clients) send no Origin and are not affected.

/** "https://Example.org:443/" → "https://example.org"; null when it is not an http(s) origin. */
export function normalizeOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.origin;
}

/**
 * True when an upgrade may proceed: no allow-list, no Origin header (not a browser), the relay's
 * own origin (its page), or an origin on the list.
 */
export function originAllowed(request: Request, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return false;
  if (allowed.includes(normalized)) return true;
  // The relay's own page: same host as the request, whatever name it was reached by.
  const host = request.headers.get("host");
  return host !== null && new URL(normalized).host === host.toLowerCase();
}
