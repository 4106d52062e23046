// Signed join tokens: JWTs (HS256, via jose) that name one room, a display name, an expiry and
// what the holder may do. Minted by `bun run relay token`, verified once per WebSocket upgrade.
import { createHash, randomUUID } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { cleanName, isValidRoomName } from "../../protocol/index.ts";

/** Short HMAC secrets fall to offline guessing from a single captured token. */
export const MIN_SECRET_LENGTH = 32;
/** Audience claim: a token signed with the same secret for something else is not a join token. */
export const TOKEN_AUDIENCE = "framecast-join";
const ALGORITHM = "HS256";
/** Tokens are URL parameters; anything much longer than ours is not one of them. */
const MAX_TOKEN_LENGTH = 4096;
/** Allowed clock difference between the machine that minted a token and the relay. */
const CLOCK_TOLERANCE_SECONDS = 30;

export type Permission = "publish" | "view" | "moderate";

export interface JoinGrant {
  room: string;
  name: string;
  canPublish: boolean;
  /** The `moderate` permission: host controls (docs/SECURITY.md, Host controls). */
  canModerate: boolean;
  /**
   * The token's id: its `jti` claim, or for tokens minted before it had one a digest of the
   * token itself. A removed participant's id goes on the room's deny list.
   */
  tokenId: string;
  /** Seconds since the Unix epoch. */
  expiresAt: number;
}

export type TokenProblem = "bad_token" | "expired_token";

export interface MintRequest {
  room: string;
  name: string;
  ttlSeconds: number;
  canPublish: boolean;
  canModerate?: boolean;
}

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function mintJoinToken(
  key: Uint8Array,
  request: MintRequest,
  nowMs = Date.now(),
): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  const can: Permission[] = request.canPublish ? ["publish", "view"] : ["view"];
  if (request.canModerate) can.push("moderate");
  return new SignJWT({ room: request.room, name: request.name, can })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setAudience(TOKEN_AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlSeconds)
    .sign(key);
}

/** Verifies signature, algorithm, audience, expiry and claim shapes; never throws. */
export async function verifyJoinToken(
  key: Uint8Array,
  token: string,
): Promise<JoinGrant | TokenProblem> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return "bad_token";
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      // Pinning the algorithm rules out "none" and algorithm-confusion tricks.
      algorithms: [ALGORITHM],
      audience: TOKEN_AUDIENCE,
      requiredClaims: ["exp", "room", "name", "can"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    return error instanceof errors.JWTExpired ? "expired_token" : "bad_token";
  }
  const { room, name, can, exp, jti } = payload;
  if (typeof room !== "string" || !isValidRoomName(room)) return "bad_token";
  if (typeof name !== "string" || typeof exp !== "number") return "bad_token";
  if (!Array.isArray(can) || !can.includes("view")) return "bad_token";
  return {
    room,
    name: cleanName(name, "guest"),
    canPublish: can.includes("publish"),
    canModerate: can.includes("moderate"),
    tokenId:
      typeof jti === "string" && jti.length > 0 && jti.length <= 128
        ? jti
        : createHash("sha256").update(token).digest("base64url"),
    expiresAt: exp,
  };
}

/** "90s", "15m", "1h", "7d", "3600" → seconds; null when unreadable. */
export function parseTtl(text: string): number | null {
  const match = /^(\d+)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!match?.[1]) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? "s").toLowerCase() as "s"];
  const seconds = Number(match[1]) * unit;
  return seconds >= 1 ? seconds : null;
}
