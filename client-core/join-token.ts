// What a join token allows, read from its payload without verifying it (only the relay holds the
// secret): enough for a client to refuse to capture with a view-only token before it starts a
// camera, instead of uploading frames the relay drops. The claims are relay/security/tokens.ts's.

export interface TokenClaims {
  /** False for a view-only token (its `can` claim has "view" but not "publish"). */
  canPublish: boolean;
  room: string | null;
}

/** The claims of a JWT join token, or null when its payload can't be read as one. */
export function readTokenClaims(token: string): TokenClaims | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  let claims: unknown;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    claims = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))),
    );
  } catch {
    return null;
  }
  if (typeof claims !== "object" || claims === null) return null;
  const { can, room } = claims as Record<string, unknown>;
  if (!Array.isArray(can)) return null;
  return { canPublish: can.includes("publish"), room: typeof room === "string" ? room : null };
}
