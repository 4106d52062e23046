// Turns argv + environment into validated client options. Every problem is a UsageError with
// one line of text; main prints it and exits with code 2.

import { existsSync, statSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { parseArgs } from "node:util";
import { flagErrorText } from "../cli/flag-errors.ts";
import { readTokenClaims } from "../client-core/join-token.ts";
import { layerLadder } from "../client-core/layer-choice.ts";
import { KeyArgumentError, keyFromFragment, parseKeyArgument } from "../client-core/room-key.ts";
import {
  cleanName,
  formatLayerSize,
  generateRoomKey,
  isValidRoomName,
  type LayerSize,
  MAX_LAYERS,
  parseLayerSizes,
  validLayerList,
} from "../protocol/index.ts";
import { FLAGS, type FlagSpec } from "./flags.ts";
import { type AudioSource, parseAudioDevice } from "./send/audio-source.ts";
import type { VideoCodec } from "./send/capture-args.ts";

export type CaptureSource =
  | { kind: "device"; path: string }
  | { kind: "test" }
  /** Black with a white flash at the start of every second (A/V sync checks, with a beep). */
  | { kind: "flash" }
  | { kind: "file"; path: string };

export type Wire = "binary" | "base64";

export interface ClientOptions {
  /** Null with --no-send, or when only sound is sent. */
  source: CaptureSource | null;
  /** Sound to send (--audio, --audio-device, --audio-source); null for none. */
  audio: AudioSource | null;
  /** Receive and play/record others' sound (off with --no-audio). */
  playAudio: boolean;
  relay: string;
  room: string;
  name: string;
  fps: number;
  width: number;
  height: number;
  quality: number;
  /**
   * What we send: --codec; null when not given (main picks h264 where ffmpeg has libx264).
   * Always "jpeg" on the old protocol.
   */
  codec: VideoCodec | null;
  /** Sizes sent, largest first; layers[0] is width x height (docs/PROTOCOL.md, Layers). */
  layers: LayerSize[];
  /** Receive no sender's layer larger than this (null: the full layer while the link keeps up). */
  maxSize: LayerSize | null;
  wire: Wire;
  view: boolean;
  record: string | null;
  /** Send lines typed on stdin as chat (--chat; also when stdin is a terminal). */
  chat: boolean;
  /** Ack received frames so the relay paces delivery (off with --no-ack). */
  ack: boolean;
  ffmpeg: string | null;
  ffplay: string | null;
  /** Signed join token for a relay with --auth-secret (sent as Authorization: Bearer). */
  token: string | null;
  /** PEM file of an extra CA to trust for wss:// (e.g. a self-signed relay). */
  ca: string | null;
  /** End-to-end room key (22 base64url characters), or null for an unencrypted room. */
  e2eeKey: string | null;
  /** The key was made for this run (--e2ee-new-key): print it and the room link. */
  e2eeKeyIsNew: boolean;
  /** --screen: the X display shared as your screen (client/send/screen-sender.ts), or null. */
  screen: string | null;
}

export type ParsedCommand =
  | { help: true; version: false }
  | { help: false; version: true }
  | { help: false; version: false; options: ClientOptions };

export class UsageError extends Error {}

type Env = Record<string, string | undefined>;

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", ""]);

export function parseCommand(argv: string[], env: Env): ParsedCommand {
  const parsed = parseFlags(argv);
  if (parsed.help === true) return { help: true, version: false };
  if (parsed.version === true) return { help: false, version: true };

  const read = (name: string): string | undefined => {
    const fromFlag = parsed[name];
    if (typeof fromFlag === "string") return fromFlag;
    const spec = specOf(name);
    return spec.env ? env[spec.env] : undefined;
  };
  const readBoolean = (name: string): boolean => {
    if (parsed[name] === true) return true;
    const spec = specOf(name);
    const raw = env[spec.env];
    if (raw === undefined) return false;
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    throw new UsageError(`${spec.env}=${raw} is not a yes/no value (use 1 or 0)`);
  };

  const send = !readBoolean("no-send");
  // The page's room link carries the key after #key=: given as --relay it is used too.
  const relayText = read("relay");
  const e2ee = readE2ee(
    read("e2ee-key") ?? (hasKeyFragment(relayText) ? relayText : undefined),
    readBoolean("e2ee-new-key"),
  );
  const audio = readAudio(read, readBoolean("audio"), send);
  const source = readSource(read, send, audio !== null);
  const sizeText = read("size");
  const layersText = read("layers");
  const wire = readWireFor(read("wire") ?? "binary", e2ee.key !== null);
  if (audio && wire === "base64") {
    throw new UsageError("the base64 protocol carries no sound: drop --audio or use --wire binary");
  }
  const layers = readLayers(layersText, sizeText, wire);
  const { width, height } = layers[0] as LayerSize;
  const maxSizeText = read("max-size");
  // Without --relay, a room link given as --e2ee-key says where to go (its room and token too).
  const target = readRelay(relayText ?? e2ee.link ?? "ws://127.0.0.1:8765", wire);
  const name = read("name") ?? target.name ?? undefined;
  const token = readToken(read("token") ?? target.token ?? undefined);
  // A view-only token: the relay would drop every frame, so capture never starts.
  if (token && (source || audio) && readTokenClaims(token)?.canPublish === false) {
    throw new UsageError(VIEW_ONLY_TOKEN);
  }
  return {
    help: false,
    version: false,
    options: {
      source,
      relay: target.relay,
      room: readRoom(parsed.room, target.room, read("room")),
      name: cleanName(name ?? defaultName(), "guest"),
      fps: readInteger("fps", read("fps") ?? "15", 1, 60),
      width,
      height,
      quality: readInteger("quality", read("quality") ?? "5", 2, 31),
      codec: readCodec(read("codec"), wire),
      layers,
      maxSize: maxSizeText === undefined ? null : readMaxSize(maxSizeText),
      wire,
      audio,
      playAudio: !readBoolean("no-audio"),
      view: readBoolean("view"),
      record: readRecordDir(read("record")),
      chat: readBoolean("chat"),
      ack: !readBoolean("no-ack"),
      ffmpeg: read("ffmpeg") ?? null,
      ffplay: read("ffplay") ?? null,
      token,
      ca: readCaFile(read("ca")),
      e2eeKey: e2ee.key,
      e2eeKeyIsNew: e2ee.isNew,
      screen: readScreen(read("screen"), wire, token),
    },
  };
}

/** --screen DISPLAY: an X display name (HOST:D or :D.S); shares need the binary protocol. */
function readScreen(raw: string | undefined, wire: Wire, token: string | null): string | null {
  if (raw === undefined) return null;
  const display = raw.trim();
  if (!/^[A-Za-z0-9._-]*:\d+(\.\d+)?$/.test(display)) {
    throw new UsageError(`--screen takes an X display such as :0 or :99, not '${raw}'`);
  }
  if (wire === "base64") throw new UsageError("the base64 protocol has no screen shares");
  if (token && readTokenClaims(token)?.canPublish === false) throw new UsageError(VIEW_ONLY_TOKEN);
  return display;
}

function specOf(name: string): FlagSpec {
  const spec = FLAGS.find((flag) => flag.name === name);
  if (!spec) throw new Error(`no flag ${name}`);
  return spec;
}

function parseFlags(argv: string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const flag of FLAGS) options[flag.name] = { type: flag.type };
  options.help = { type: "boolean", short: "h" };
  options.version = { type: "boolean" };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: true,
    });
    const extra: string[] = positionals;
    if (extra.length > 0) {
      throw new UsageError(`unexpected argument '${extra[0]}' (see --help)`);
    }
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${flagErrorText(error)} (see --help)`);
  }
}

function readAudio(
  read: (name: string) => string | undefined,
  audioFlag: boolean,
  send: boolean,
): AudioSource | null {
  const device = read("audio-device");
  const synthetic = read("audio-source");
  const toneRaw = read("tone");
  if (device !== undefined && synthetic !== undefined) {
    throw new UsageError("give only one of --audio-device and --audio-source");
  }
  if (toneRaw !== undefined && synthetic === undefined) {
    throw new UsageError("--tone sets the frequency of --audio-source test or beep");
  }
  const wanted = audioFlag || device !== undefined || synthetic !== undefined;
  if (!wanted) return null;
  if (!send)
    throw new UsageError("--no-send captures nothing: drop --audio/--audio-device/--audio-source");
  if (synthetic !== undefined) {
    if (synthetic !== "test" && synthetic !== "beep") {
      throw new UsageError(`--audio-source must be 'test' or 'beep', not '${synthetic}'`);
    }
    const frequency = readInteger("tone", toneRaw ?? "440", 20, 20000);
    return { kind: "tone", frequency, beep: synthetic === "beep" };
  }
  if (device !== undefined) return parseAudioDevice(nonEmpty("audio-device", device));
  return { kind: "device", backend: "alsa", name: "default" };
}

function readSource(
  read: (name: string) => string | undefined,
  send: boolean,
  sendsAudio: boolean,
): CaptureSource | null {
  const given: CaptureSource[] = [];
  const device = read("device");
  const source = read("source");
  const file = read("file");
  if (device !== undefined) given.push({ kind: "device", path: nonEmpty("device", device) });
  if (source !== undefined) {
    if (source !== "test" && source !== "flash") {
      throw new UsageError(`--source must be 'test' or 'flash', not '${source}'`);
    }
    given.push({ kind: source });
  }
  if (file !== undefined) {
    const path = nonEmpty("file", file);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new UsageError(`--file ${path}: no such file`);
    }
    given.push({ kind: "file", path });
  }
  if (!send) {
    if (given.length > 0)
      throw new UsageError("--no-send captures nothing: drop --device/--source/--file");
    return null;
  }
  if (given.length === 0) {
    if (sendsAudio) return null; // sound only
    throw new UsageError(
      "say what to send: --device /dev/video0, --source test, --file PATH or --audio (or --no-send)",
    );
  }
  if (given.length > 1) throw new UsageError("give only one of --device, --source and --file");
  return given[0] as CaptureSource;
}

function nonEmpty(name: string, value: string): string {
  if (value.trim() === "") throw new UsageError(`--${name} needs a value`);
  return value;
}

function readInteger(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
  }
  return value;
}

function readSize(raw: string): [number, number] {
  const match = /^(\d+)x(\d+)$/.exec(raw.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  // MJPEG with 4:2:0 chroma wants even sizes; the bounds keep ffmpeg from refusing later.
  const ok = (n: number) => Number.isInteger(n) && n >= 16 && n <= 4096 && n % 2 === 0;
  if (!match || !ok(width) || !ok(height)) {
    throw new UsageError(`--size must look like 640x480 (even numbers, 16-4096), not '${raw}'`);
  }
  return [width, height];
}

/**
 * --layers WxH,WxH[,WxH] (largest first; the first is the capture size), else full size plus a
 * quarter of each side. One layer: --layers WxH. The old protocol (--wire base64) has one.
 */
function readLayers(
  raw: string | undefined,
  sizeText: string | undefined,
  wire: Wire,
): LayerSize[] {
  if (raw === undefined) {
    const [width, height] = readSize(sizeText ?? "640x480");
    return wire === "base64" ? [{ width, height }] : layerLadder(width, height);
  }
  const sizes = parseLayerSizes(raw);
  const even = sizes?.every((size) => size.width % 2 === 0 && size.height % 2 === 0) ?? false;
  const layers = sizes && even ? validLayerList(sizes) : null;
  if (!layers) {
    throw new UsageError(
      `--layers must be 1-${MAX_LAYERS} sizes, largest first, each smaller than the one before ` +
        `(even numbers, 16-4096), e.g. 640x480,320x240,160x120; not '${raw}'`,
    );
  }
  const full = layers[0] as LayerSize;
  if (sizeText !== undefined) {
    const [width, height] = readSize(sizeText);
    if (full.width !== width || full.height !== height) {
      throw new UsageError(
        `--layers starts with ${formatLayerSize(full)} but --size is ${width}x${height}: ` +
          "the first layer is the capture size",
      );
    }
  }
  if (wire === "base64" && layers.length > 1) {
    throw new UsageError("--wire base64 (the old protocol) sends one size: drop --layers");
  }
  return layers;
}

function readMaxSize(raw: string): LayerSize {
  const match = /^(\d+)x(\d+)$/.exec(raw.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width < 1 || height < 1) {
    throw new UsageError(`--max-size must look like 320x240, not '${raw}'`);
  }
  return { width, height };
}

/** What a --relay URL says: the relay, and maybe a room, token and name it names. */
interface RelayTarget {
  /** ws:// or wss:// URL of the relay (its root, for protocol v1). */
  relay: string;
  room: string | null;
  token: string | null;
  name: string | null;
}

// An optional prefix first: a relay behind a proxy's sub-path (wss://example.org/call/r/team).
const ROOM_IN_PATH = /^((?:\/[^/]+)*?)\/(?:v1\/rooms|r)\/([^/]+)\/?$/;

/**
 * Takes the relay's root (`ws://HOST:8765`), a room's socket URL (`ws://HOST/v1/rooms/team`) or
 * the page's join link (`https://HOST/r/team?token=...`): the room, token and name in the last
 * two are kept rather than silently replaced by the defaults.
 */
function readRelay(raw: string, wire: Wire): RelayTarget {
  const invalid = () =>
    new UsageError(
      `--relay must be a ws:// or wss:// URL (or the page's http(s):// link), not '${raw}'`,
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid();
  }
  const schemes: Record<string, string> = {
    "ws:": "ws:",
    "wss:": "wss:",
    "http:": "ws:",
    "https:": "wss:",
  };
  const scheme = schemes[url.protocol];
  if (!scheme) throw invalid();
  if (wire === "base64") {
    // The old protocol has one endpoint (usually /) and no rooms: take the URL as it is.
    return {
      relay: `${scheme}${url.href.slice(url.protocol.length)}`,
      room: null,
      token: null,
      name: null,
    };
  }
  let room: string | null = null;
  // A path ending in "/" is the relay's prefix (wss://example.org/call/); else it names a room.
  let prefix = url.pathname.endsWith("/") ? url.pathname.replace(/\/+$/, "") : "";
  if (!url.pathname.endsWith("/")) {
    const match = ROOM_IN_PATH.exec(url.pathname);
    prefix = match?.[1] ?? "";
    const encoded = match?.[2];
    let decoded: string | null = null;
    try {
      decoded = encoded ? decodeURIComponent(encoded) : null;
    } catch {
      decoded = null;
    }
    if (decoded === null || !isValidRoomName(decoded)) {
      throw new UsageError(
        `--relay ${raw}: the path ${url.pathname} is not a room (use ws://HOST:PORT or ws://HOST:PORT/v1/rooms/ROOM)`,
      );
    }
    room = decoded;
  }
  return {
    relay: `${scheme}//${url.host}${prefix}/`,
    room,
    token: url.searchParams.get("token") || null,
    name: url.searchParams.get("name") || null,
  };
}

/** --room wins over FRAMECAST_ROOM, and so does a room in the --relay URL. */
function readRoom(
  flag: string | boolean | undefined,
  inUrl: string | null,
  flagOrEnv: string | undefined,
): string {
  if (typeof flag === "string" && inUrl !== null && flag !== inUrl) {
    throw new UsageError(`--room ${flag} disagrees with the room in --relay (${inUrl})`);
  }
  const raw = inUrl ?? flagOrEnv ?? "lobby";
  if (!isValidRoomName(raw)) {
    throw new UsageError(`--room must be 1-64 characters of A-Z a-z 0-9 _ -, not '${raw}'`);
  }
  return raw;
}

function readCodec(raw: string | undefined, wire: Wire): VideoCodec | null {
  if (raw === undefined || raw.trim() === "") return wire === "base64" ? "jpeg" : null;
  const codec = raw.trim().toLowerCase();
  if (codec !== "h264" && codec !== "jpeg") {
    throw new UsageError(`--codec must be 'h264' or 'jpeg', not '${raw}'`);
  }
  if (codec === "h264" && wire === "base64") {
    throw new UsageError(
      "the base64 protocol carries JPEG only: drop --codec h264 or use --wire binary",
    );
  }
  return codec;
}

function readWire(raw: string): Wire {
  if (raw === "binary" || raw === "base64") return raw;
  throw new UsageError(`--wire must be 'binary' or 'base64', not '${raw}'`);
}

function readWireFor(raw: string, encrypted: boolean): Wire {
  const wire = readWire(raw);
  if (wire === "base64" && encrypted) {
    throw new UsageError("end-to-end encryption needs protocol v1: drop --wire base64");
  }
  return wire;
}

function hasKeyFragment(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  try {
    return keyFromFragment(new URL(raw).hash) !== null;
  } catch {
    return false; // readRelay says what is wrong with it
  }
}

function readE2ee(
  raw: string | undefined,
  fresh: boolean,
): { key: string | null; isNew: boolean; link: string | null } {
  if (fresh) {
    if (raw !== undefined && raw !== "") {
      throw new UsageError("give --e2ee-key or --e2ee-new-key, not both");
    }
    return { key: generateRoomKey(), isNew: true, link: null };
  }
  if (raw === undefined || raw === "") return { key: null, isNew: false, link: null };
  try {
    const parsed = parseKeyArgument(raw);
    return { key: parsed.key, isNew: false, link: parsed.relay === null ? null : raw.trim() };
  } catch (error) {
    if (error instanceof KeyArgumentError) throw new UsageError(`--e2ee-key: ${error.message}`);
    throw error;
  }
}

function readRecordDir(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const dir = nonEmpty("record", raw);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UsageError(`--record ${dir} exists and is not a directory`);
  }
  return dir;
}

/** The one line for capture with a view-only token (before it starts, or when the relay says so). */
export const VIEW_ONLY_TOKEN = "this token is view-only: use --no-send to watch";

function readToken(raw: string | undefined): string | null {
  if (raw === undefined || raw === "") return null;
  // A JWT is three base64url parts; anything else would only be refused by the relay later.
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(raw.trim())) {
    throw new UsageError("--token must be a join token from `npm run relay -- token`");
  }
  return raw.trim();
}

function readCaFile(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const path = nonEmpty("ca", raw);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`--ca ${path}: no such file`);
  }
  return path;
}

/** The login name; without one (Bun says "unknown" when $USER is unset), guest@HOSTNAME. */
export function defaultName(
  login: () => string = () => userInfo().username,
  host: string = hostname(),
): string {
  let name = "";
  try {
    name = login();
  } catch {}
  if (name && name !== "unknown") return name;
  const shortHost = host.split(".")[0];
  return shortHost ? `guest@${shortHost}` : "guest";
}
