// Why the relay refused this page's WebSocket. A browser shows a refused upgrade only as close
// code 1006, so after a connect that failed the page asks again with a plain GET of the same
// room URL (token included): the relay answers it with the same 401/403 and reason it gave the
// upgrade, or 426 when it would let us in (then the failure was the network's, worth a retry).
import { type Refusal, refusal } from "../../client-core/refusals.ts";
import { REFUSAL_PROBE_HEADER } from "../../protocol/index.ts";

export async function checkRefusal(socketUrl: string): Promise<Refusal | null> {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  try {
    const response = await fetch(url, {
      cache: "no-store",
      // The relay counted this refusal when the WebSocket was refused: don't count it twice.
      headers: { [REFUSAL_PROBE_HEADER]: "1" },
      signal: AbortSignal.timeout(5000),
    });
    if (response.status === 426 || response.status < 400) return null;
    return refusal(response.status, await response.text());
  } catch {
    return null; // relay unreachable: a network problem, not a refusal
  }
}
