// Checks every WebSocket upgrade must pass before the relay says 101: browser origin, connection
// rate per address, and (with --auth-secret) a signed join token for this very room. Refusals are
// short plain-text answers that say nothing about the room: not whether it exists, nor who is in it.

import { parseJoinOptions, REFUSAL_PROBE_HEADER } from "../../protocol/index.ts";
import { log } from "../log.ts";
import { countRefusedJoin } from "../stats.ts";
import { relayEvents } from "../webhooks/events.ts";
import { ConnectLimiter } from "./connect-limit.ts";
import { originAllowed } from "./origin.ts";
import type { SecurityConfig } from "./security-config.ts";
import { secretKey, verifyJoinToken } from "./tokens.ts";

/** What an admitted caller may be: the name to use (null: the relay picks one) and rights. */
export interface Admission {
  name: string | null;
  canPublish: boolean;
  /** The token's `moderate` permission (never without tokens: nobody moderates then). */
  canModerate: boolean;
  /** The token's id and expiry (seconds), for the deny list; null without tokens. */
  token: { id: string; expiresAt: number } | null;
}

const REFUSALS = {
  bad_origin: { status: 403, message: "origin not allowed" },
  too_many_connects: { status: 429, message: "too many connection attempts; retry later" },
  no_token: { status: 401, message: "join token required (?token= or Authorization: Bearer)" },
  bad_token: { status: 401, message: "join token invalid" },
  expired_token: { status: 401, message: "join token expired" },
  wrong_room: { status: 403, message: "join token is for another room" },
} as const;

export type UpgradeRefusal = keyof typeof REFUSALS;

/** The token from `Authorization: Bearer T`, else from `?token=T`. */
export function tokenFrom(request: Request, url: URL): string | null {
  const header = request.headers.get("authorization");
  const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return bearer ?? parseJoinOptions(url).token;
}

export class UpgradeGate {
  readonly #key: Uint8Array | null;
  readonly #connects: ConnectLimiter;

  constructor(private readonly security: SecurityConfig) {
    this.#key = security.authSecret === null ? null : secretKey(security.authSecret);
    this.#connects = new ConnectLimiter(security.maxConnectsPerMinute, security.connectLimitExempt);
  }

  /** Client addresses the connect limit tracks now (GET /debug/counts). */
  get trackedAddresses(): number {
    return this.#connects.trackedAddresses;
  }

  get authRequired(): boolean {
    return this.#key !== null;
  }

  /** Admission for `room`, or the response that refuses the upgrade. */
  async check(request: Request, address: string | undefined, room: string) {
    // A client asking why its WebSocket was refused: the refusal was counted on the first try.
    const counted = request.headers.get(REFUSAL_PROBE_HEADER) === null;
    if (!originAllowed(request, this.security.allowedOrigins)) {
      return this.#refuse("bad_origin", room, address, counted);
    }
    if (!this.#connects.allow(address)) {
      const response = this.#refuse("too_many_connects", room, address, counted);
      response.headers.set("retry-after", String(this.#connects.retryAfterSeconds(address)));
      return response;
    }
    const url = new URL(request.url);
    if (this.#key === null) {
      return {
        name: parseJoinOptions(url).name,
        canPublish: true,
        canModerate: false,
        token: null,
      } satisfies Admission;
    }
    const token = tokenFrom(request, url);
    if (token === null) return this.#refuse("no_token", room, address, counted);
    const grant = await verifyJoinToken(this.#key, token);
    if (typeof grant === "string") return this.#refuse(grant, room, address, counted);
    if (grant.room !== room) return this.#refuse("wrong_room", room, address, counted);
    // The signed name wins over ?name=: holders can't pass themselves off as someone else.
    return {
      name: grant.name,
      canPublish: grant.canPublish,
      canModerate: grant.canModerate,
      token: { id: grant.tokenId, expiresAt: grant.expiresAt },
    } satisfies Admission;
  }

  stop(): void {
    this.#connects.stop();
  }

  #refuse(
    reason: UpgradeRefusal,
    room: string,
    address: string | undefined,
    counted: boolean,
  ): Response {
    const { status, message } = REFUSALS[reason];
    if (counted) {
      countRefusedJoin(reason);
      log("warn", "join_refused", { room: room.slice(0, 80), reason, address });
      relayEvents.emit({
        type: "participant_refused",
        room: room.slice(0, 80),
        name: null,
        reason,
      });
    }
    const headers: Record<string, string> = {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
    };
    if (status === 401) headers["www-authenticate"] = 'Bearer realm="framecast"';
    return new Response(`${message}\n`, { status, headers });
  }
}
