// Who is calling: the socket's address, or, behind a proxy named by --trust-proxy, the address the
// proxy put last in X-Forwarded-For. Only a trusted proxy's header counts: anyone else could write
// one to dodge the per-address limits.
import { isLoopbackAddress } from "../security/connect-limit.ts";

function trusted(address: string, proxies: readonly string[]): boolean {
  if (proxies.includes("loopback") && isLoopbackAddress(address)) return true;
  return proxies.includes(address) || proxies.includes(address.replace(/^::ffff:/, ""));
}

/** The client address for limits and logs. */
export function clientAddress(
  request: Request,
  socketAddress: string | undefined,
  proxies: readonly string[],
): string | undefined {
  if (socketAddress === undefined || proxies.length === 0 || !trusted(socketAddress, proxies)) {
    return socketAddress;
  }
  const hops = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop.length > 0);
  // Rightmost first: each trusted proxy appends the address it saw; the first untrusted one is the client.
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted(hop, proxies)) return hop;
  }
  return hops[0] ?? socketAddress;
}
