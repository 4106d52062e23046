// Webhook signatures: HMAC-SHA256 over `TIMESTAMP.BODY` with the shared secret, sent as
// `X-Framecast-Signature: t=TIMESTAMP,v1=HEX`. The timestamp is inside the MAC, so a receiver that
// rejects old timestamps (say, 5 minutes) can't be fed a replayed request.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-framecast-signature";

export function signatureHeader(secret: string, body: string, seconds: number): string {
  const mac = createHmac("sha256", secret).update(`${seconds}.${body}`).digest("hex");
  return `t=${seconds},v1=${mac}`;
}

/** For receivers (and the tests): true when the header signs `body` and is at most maxAgeS old. */
export function verifySignature(
  secret: string,
  body: string,
  header: string | null,
  nowSeconds = Math.floor(Date.now() / 1000),
  maxAgeS = 300,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match?.[1] || !match[2]) return false;
  const seconds = Number(match[1]);
  if (Math.abs(nowSeconds - seconds) > maxAgeS) return false;
  const expected = signatureHeader(secret, body, seconds).slice(-64);
  return timingSafeEqual(Buffer.from(expected), Buffer.from(match[2]));
}
