// The addresses a person opens in a browser to reach the page, for the startup line: a relay
// bound to 0.0.0.0 is reached at 127.0.0.1 on this machine and at each LAN address from others;
// "ws://0.0.0.0:8765" is neither a page nor an address anyone can open.
import { type NetworkInterfaceInfo, networkInterfaces } from "node:os";

type Interfaces = Record<string, NetworkInterfaceInfo[] | undefined>;

const ANY_IPV4 = "0.0.0.0";
const ANY_IPV6 = new Set(["::", "[::]", "::0"]);

function hostPart(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** http(s)://ADDRESS:PORT/ for every address the page is served on, loopback first. */
export function pageUrls(
  host: string,
  port: number,
  tls: boolean,
  interfaces: Interfaces = networkInterfaces(),
): string[] {
  const scheme = tls ? "https" : "http";
  const url = (address: string) => `${scheme}://${hostPart(address)}:${port}/`;
  const anyV6 = ANY_IPV6.has(host);
  if (host !== ANY_IPV4 && !anyV6) return [url(host.replace(/^\[|\]$/g, ""))];
  const lan: string[] = [];
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      // Link-local IPv6 addresses need a zone id no browser bar accepts.
      if (entry.family === "IPv6" && (!anyV6 || entry.address.startsWith("fe80"))) continue;
      lan.push(entry.address);
    }
  }
  return [url("127.0.0.1"), ...lan.map(url)];
}
