// The choices a visitor made last time (room, name, capture settings), kept in localStorage.
// Storage can be missing or full (private mode, quotas): the page then simply doesn't remember.
import { cleanName, isValidRoomName } from "../protocol/index.ts";
import {
  type CaptureSettings,
  DEFAULT_CAPTURE,
  parseFps,
  parseLayerCount,
  parseQuality,
  parseSize,
  sizeText,
} from "./send/capture-settings.ts";

const STORAGE_KEY = "framecast.settings.v1";

export interface Settings {
  room: string;
  name: string;
  capture: CaptureSettings;
  /** deviceId of the chosen camera; null: the browser's default. */
  camera: string | null;
}

export const DEFAULT_SETTINGS: Settings = {
  room: "lobby",
  name: "",
  capture: DEFAULT_CAPTURE,
  camera: null,
};

/** Reads settings from stored JSON, keeping each valid field and defaulting the rest. */
export function parseSettings(json: string | null): Settings {
  let stored: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(json ?? "{}");
    if (typeof value === "object" && value !== null) stored = value as Record<string, unknown>;
  } catch {
    // Corrupt storage: start from the defaults.
  }
  const room = typeof stored.room === "string" && isValidRoomName(stored.room) ? stored.room : null;
  const name = typeof stored.name === "string" ? cleanName(stored.name, "") : "";
  const size = typeof stored.size === "string" ? parseSize(stored.size) : null;
  return {
    room: room ?? DEFAULT_SETTINGS.room,
    name,
    camera: typeof stored.camera === "string" && stored.camera !== "" ? stored.camera : null,
    capture: {
      width: size?.[0] ?? DEFAULT_CAPTURE.width,
      height: size?.[1] ?? DEFAULT_CAPTURE.height,
      fps: parseFps(stored.fps) ?? DEFAULT_CAPTURE.fps,
      quality: parseQuality(stored.quality) ?? DEFAULT_CAPTURE.quality,
      layers: parseLayerCount(stored.layers) ?? DEFAULT_CAPTURE.layers,
    },
  };
}

export function serializeSettings(settings: Settings): string {
  const { room, name, capture, camera } = settings;
  return JSON.stringify({
    room,
    name,
    camera,
    size: sizeText(capture),
    fps: capture.fps,
    quality: capture.quality,
    layers: capture.layers,
  });
}

export function loadSettings(storage: Storage | null = safeStorage()): Settings {
  try {
    return parseSettings(storage?.getItem(STORAGE_KEY) ?? null);
  } catch {
    return parseSettings(null);
  }
}

export function saveSettings(settings: Settings, storage: Storage | null = safeStorage()): void {
  try {
    storage?.setItem(STORAGE_KEY, serializeSettings(settings));
  } catch {
    // Quota or privacy mode: not remembering is fine.
  }
}

function safeStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
