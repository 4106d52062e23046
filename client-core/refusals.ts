// What a relay's refusal of a join means to a client, the CLI's and the page's alike: which
// HTTP statuses retrying can't fix, and which of them ask for a (new) join link.

/** Bad or expired token, token for another room, bad origin or room name: stop retrying. */
const PERMANENT = new Set([400, 401, 403, 404]);

export interface Refusal {
  status: number;
  /** The relay's own words, e.g. "join token expired". */
  reason: string;
  /** True when retrying can't help. */
  permanent: boolean;
}

export function refusal(status: number, reason: string): Refusal {
  return { status, reason: reason.trim().slice(0, 200), permanent: PERMANENT.has(status) };
}
