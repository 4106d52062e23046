// A join link (/r/ROOM?token=...) made by `npm run relay -- token`: the page reads the token's
// room and name to fill the form (the relay will use the token's name anyway), and knows that
// the plain room link would not let anybody else in.

export interface JoinLinkToken {
  token: string;
  room: string | null;
  name: string | null;
  /** ms since the epoch, or null when the token doesn't say. */
  expiresAtMs: number | null;
  /** The token grants viewing only (`can` without "publish"): the page offers nothing to send. */
  viewOnly: boolean;
}

/** The token of the page's URL, with the claims it carries (read, not verified: display only). */
export function tokenFromPage(pageUrl: string): JoinLinkToken | null {
  const token = new URL(pageUrl).searchParams.get("token");
  if (!token) return null;
  const claims = readClaims(token);
  return {
    token,
    room: typeof claims.room === "string" ? claims.room : null,
    name: typeof claims.name === "string" ? claims.name : null,
    expiresAtMs: typeof claims.exp === "number" ? claims.exp * 1000 : null,
    viewOnly: Array.isArray(claims.can) && !claims.can.includes("publish"),
  };
}

function readClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1];
  if (!payload) return {};
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
