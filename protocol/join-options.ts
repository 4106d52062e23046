// Join options (docs/PROTOCOL.md): every `?param` of a /v1 room URL, built from one options object
// by the clients and the bench, and parsed in one place by the relay.
import { roomPath } from "./paths.ts";

/** The query parameters of a room URL. */
export const JoinParam = {
  /** Display name (a signed join token's name wins over it). */
  Name: "name",
  /** Join token, for a browser, which can't set an Authorization header on a WebSocket. */
  Token: "token",
  /** `ack=1`: ack-paced delivery (docs/PROTOCOL.md, Acks). */
  Ack: "ack",
  /** `layers=1`: the receiver understands layers; takes effect with `ack=1` (protocol/layers.ts). */
  Layers: "layers",
  /** `audio=0`: join without audio (the relay sends no packets and no tracks). */
  Audio: "audio",
  /** `e2ee=1`: the participant encrypts its frames; presence shows `"e2ee": true`. */
  E2ee: "e2ee",
  /** `codecs=h264`: the receiver decodes kind 4 (H.264) as well; JPEG is always understood. */
  Codecs: "codecs",
  /** `shares=1`: the receiver understands screen shares (takes effect with `ack=1`). */
  Shares: "shares",
  /** `source=screen`: this connection is a screen share of participant `owner`. */
  Source: "source",
  /** With `source=screen`: the sharing participant's id. */
  Owner: "owner",
  /** With `source=screen`: the `shareKey` from the owner's welcome. */
  ShareKey: "share",
} as const;

/** A screen share connection's claim: whose share it is, and the owner's secret. */
export interface ScreenShareClaim {
  owner: number;
  key: string;
}

/** Video codecs a receiver may declare beyond JPEG (comma-separated in `codecs=`). */
export type DeclaredCodec = "h264";

/** What a participant asks for when it joins. Everything is optional; defaults as below. */
export interface JoinOptions {
  name?: string | null;
  token?: string | null;
  /** Default false. */
  ack?: boolean;
  /** Default false; ignored without `ack` (the relay reads a receiver's link from its acks). */
  layers?: boolean;
  /** Default true. */
  audio?: boolean;
  /** Default false. */
  e2ee?: boolean;
  /** Codecs it decodes besides JPEG; default none (JPEG only). */
  codecs?: readonly DeclaredCodec[];
  /** Receives screen shares (default false; ignored without `ack`). */
  shares?: boolean;
  /** This connection is a screen share of another of yours (docs/PROTOCOL.md, Screen sharing). */
  screen?: ScreenShareClaim | null;
}

/** A join URL's options as the relay reads them, defaults filled in. */
export interface ParsedJoinOptions {
  name: string | null;
  token: string | null;
  ack: boolean;
  /** Only true together with `ack`. */
  layers: boolean;
  audio: boolean;
  e2ee: boolean;
  /** Declared `codecs=h264` (unknown codec names are ignored). */
  h264: boolean;
  /** Declared `shares=1`; only true together with `ack`. */
  shares: boolean;
  /** `source=screen&owner=ID&share=KEY`; null for a camera (also when `owner` is not a number). */
  screen: ScreenShareClaim | null;
  /** `source=` was given but is not "camera" or a well-formed screen claim (refused). */
  badSource: boolean;
}

/** Full WebSocket URL for joining `room` on the relay at `relayUrl` (ws:// or wss://). */
export function roomUrl(relayUrl: string, room: string, options: JoinOptions = {}): string {
  const url = new URL(relayUrl);
  // A relay under a sub-path (wss://example.org/call, behind a proxy) keeps its prefix.
  url.pathname = url.pathname.replace(/\/+$/, "") + roomPath(room);
  const query = url.searchParams;
  if (options.name) query.set(JoinParam.Name, options.name);
  if (options.ack) query.set(JoinParam.Ack, "1");
  if (options.ack && options.layers) query.set(JoinParam.Layers, "1");
  if (options.audio === false) query.set(JoinParam.Audio, "0");
  if (options.e2ee) query.set(JoinParam.E2ee, "1");
  if (options.codecs && options.codecs.length > 0) {
    query.set(JoinParam.Codecs, options.codecs.join(","));
  }
  if (options.ack && options.shares) query.set(JoinParam.Shares, "1");
  if (options.screen) {
    query.set(JoinParam.Source, "screen");
    query.set(JoinParam.Owner, String(options.screen.owner));
    query.set(JoinParam.ShareKey, options.screen.key);
  }
  if (options.token) query.set(JoinParam.Token, options.token);
  return url.toString();
}

/** Reads a join URL's options (the relay, once per upgrade). Unknown parameters are ignored. */
export function parseJoinOptions(requestUrl: string | URL): ParsedJoinOptions {
  const query = (typeof requestUrl === "string" ? new URL(requestUrl) : requestUrl).searchParams;
  const ack = query.get(JoinParam.Ack) === "1";
  return {
    name: query.get(JoinParam.Name),
    token: query.get(JoinParam.Token),
    ack,
    layers: ack && query.get(JoinParam.Layers) === "1",
    audio: query.get(JoinParam.Audio) !== "0",
    e2ee: query.get(JoinParam.E2ee) === "1",
    h264: (query.get(JoinParam.Codecs) ?? "").split(",").includes("h264"),
    shares: ack && query.get(JoinParam.Shares) === "1",
    ...readScreenClaim(query),
  };
}

/** `source=screen&owner=ID&share=KEY` read strictly: a malformed claim is refused, not ignored. */
function readScreenClaim(query: URLSearchParams): {
  screen: ScreenShareClaim | null;
  badSource: boolean;
} {
  const source = query.get(JoinParam.Source);
  if (source === null || source === "camera") return { screen: null, badSource: false };
  const owner = Number(query.get(JoinParam.Owner));
  const key = query.get(JoinParam.ShareKey) ?? "";
  const valid =
    source === "screen" &&
    Number.isInteger(owner) &&
    owner > 0 &&
    owner <= 0xffffffff &&
    key.length > 0 &&
    key.length <= 64;
  return valid ? { screen: { owner, key }, badSource: false } : { screen: null, badSource: true };
}
