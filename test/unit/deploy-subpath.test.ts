// Under a proxy's sub-path (https://example.org/call/): the page, the CLI and the wire format keep
// the prefix in every URL they build; at the site root nothing changes.
import { describe, expect, test } from "bun:test";
import { pageLinkFor } from "../../client-core/room-key.ts";
import { roomUrl } from "../../protocol/index.ts";
import { clientAddress } from "../../relay/http/client-address.ts";
import {
  pageBasePath,
  relayBaseUrl,
  roomFromPath,
  roomPagePath,
} from "../../web/links/page-url.ts";
import { options, usageError } from "../support/client-options.ts";

describe("page URLs under a prefix", () => {
  test("the prefix comes from the page's own path", () => {
    expect(pageBasePath("/")).toBe("");
    expect(pageBasePath("/r/team")).toBe("");
    expect(pageBasePath("/call/")).toBe("/call");
    expect(pageBasePath("/call/r/team")).toBe("/call");
    expect(pageBasePath("/a/b/r/team/")).toBe("/a/b");
    expect(roomFromPath("/call/r/team")).toBe("team");
    expect(roomPagePath("team", "/call")).toBe("/call/r/team");
    expect(relayBaseUrl("https://example.org/call/r/team?token=x")).toBe("wss://example.org/call");
    expect(relayBaseUrl("http://127.0.0.1:8765/")).toBe("ws://127.0.0.1:8765");
  });

  test("roomUrl keeps a relay's prefix, with or without a trailing slash", () => {
    expect(roomUrl("wss://example.org/call", "team")).toBe("wss://example.org/call/v1/rooms/team");
    expect(roomUrl("wss://example.org/call/", "team")).toBe("wss://example.org/call/v1/rooms/team");
    expect(roomUrl("ws://127.0.0.1:8765", "team")).toBe("ws://127.0.0.1:8765/v1/rooms/team");
  });
});

describe("the CLI's --relay under a prefix", () => {
  test("a join link, a room socket URL or the prefix itself", () => {
    const link = options([
      "--source",
      "test",
      "--relay",
      "https://example.org/call/r/team?token=t.k.n",
    ]);
    expect(link).toMatchObject({ relay: "wss://example.org/call/", room: "team", token: "t.k.n" });
    const socket = options(["--source", "test", "--relay", "wss://example.org/call/v1/rooms/team"]);
    expect(socket).toMatchObject({ relay: "wss://example.org/call/", room: "team" });
    const base = options(["--source", "test", "--relay", "wss://example.org/call/", "--room", "x"]);
    expect(base).toMatchObject({ relay: "wss://example.org/call/", room: "x" });
    expect(usageError(["--source", "test", "--relay", "wss://example.org/call/nothing"])).toContain(
      "is not a room",
    );
    expect(pageLinkFor("wss://example.org/call/", "team", "k".repeat(22))).toStartWith(
      "https://example.org/call/r/team#",
    );
  });
});

describe("client address behind --trust-proxy", () => {
  const request = (xff?: string) =>
    new Request("http://relay/", { headers: xff ? { "x-forwarded-for": xff } : {} });

  test("only a trusted proxy's header counts; the rightmost untrusted hop is the client", () => {
    expect(clientAddress(request("198.51.100.7"), "127.0.0.2", [])).toBe("127.0.0.2");
    expect(clientAddress(request("198.51.100.7"), "203.0.113.1", ["127.0.0.2"])).toBe(
      "203.0.113.1",
    );
    expect(clientAddress(request("198.51.100.7"), "127.0.0.2", ["127.0.0.2"])).toBe("198.51.100.7");
    // A client's own made-up first hop is skipped: the proxy appended what it saw.
    expect(clientAddress(request("1.2.3.4, 198.51.100.7"), "127.0.0.1", ["loopback"])).toBe(
      "198.51.100.7",
    );
    expect(
      clientAddress(request("198.51.100.7, 10.0.0.5"), "127.0.0.1", ["loopback", "10.0.0.5"]),
    ).toBe("198.51.100.7");
    expect(clientAddress(request(), "::ffff:127.0.0.1", ["127.0.0.1"])).toBe("::ffff:127.0.0.1");
  });
});
