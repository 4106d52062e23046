// The browser client's logic that needs no browser: frame dropping, live meters, remembered
// settings, URLs, status text and camera error messages.
import { describe, expect, test } from "bun:test";
import { FrameMeter } from "../../client-core/frame-meter.ts";
import { tokenFromPage } from "../../web/links/join-link.ts";
import { relayBaseUrl, roomFromPath, roomPagePath } from "../../web/links/page-url.ts";
import { describeState } from "../../web/room/connection-state.ts";
import { personNote } from "../../web/room/participant-list.ts";
import { describeCameraError } from "../../web/send/camera-errors.ts";
import { parseFps, parseQuality, parseSize } from "../../web/send/capture-settings.ts";
import { DEFAULT_SETTINGS, parseSettings, serializeSettings } from "../../web/settings.ts";
import { type IncomingFrame, LatestFrameDrawer } from "../../web/watch/latest-frame-drawer.ts";
import { formatReading } from "../../web/watch/stats-text.ts";

/** A decode the test finishes by hand, so it decides when the "decoder" is busy. */
function manualDecoder() {
  const waiting: Array<{ jpeg: Uint8Array; finish: () => void; fail: () => void }> = [];
  const closed: number[] = [];
  const decode = (jpeg: Uint8Array) =>
    new Promise<{ close(): void; id: number }>((resolve, reject) => {
      const id = jpeg[0] ?? -1;
      waiting.push({
        jpeg,
        finish: () => resolve({ id, close: () => closed.push(id) }),
        fail: () => reject(new Error("corrupt")),
      });
    });
  return { decode, waiting, closed };
}

const frame = (n: number): IncomingFrame => ({ jpeg: new Uint8Array([n]), captureTimeMs: n });
const settle = () => Bun.sleep(0);

describe("LatestFrameDrawer", () => {
  test("while a decode runs, only the newest frame waits; older ones are dropped", async () => {
    const decoder = manualDecoder();
    const drawn: number[] = [];
    const drawer = new LatestFrameDrawer(decoder.decode, (decoded) => drawn.push(decoded.id));
    drawer.push(frame(1));
    for (const n of [2, 3, 4]) drawer.push(frame(n));
    expect(decoder.waiting).toHaveLength(1);
    decoder.waiting[0]?.finish();
    await settle();
    // Frame 4 was decoded next; 2 and 3 were never decoded at all.
    expect(decoder.waiting.map((w) => w.jpeg[0])).toEqual([1, 4]);
    decoder.waiting[1]?.finish();
    await settle();
    expect(drawn).toEqual([1, 4]);
    expect(drawer.counts).toEqual({ received: 4, drawn: 2, dropped: 2, failed: 0 });
    // Every decoded bitmap was released after drawing.
    expect(decoder.closed).toEqual([1, 4]);
  });

  test("a corrupt frame is counted and the next one still draws", async () => {
    const decoder = manualDecoder();
    const drawn: number[] = [];
    const drawer = new LatestFrameDrawer(decoder.decode, (decoded) => drawn.push(decoded.id));
    drawer.push(frame(1));
    decoder.waiting[0]?.fail();
    await settle();
    drawer.push(frame(2));
    decoder.waiting[1]?.finish();
    await settle();
    expect(drawn).toEqual([2]);
    expect(drawer.counts.failed).toBe(1);
  });

  test("after dispose nothing is drawn and a decode in flight is still released", async () => {
    const decoder = manualDecoder();
    const drawn: number[] = [];
    const drawer = new LatestFrameDrawer(decoder.decode, (decoded) => drawn.push(decoded.id));
    drawer.push(frame(1));
    drawer.push(frame(2));
    drawer.dispose();
    decoder.waiting[0]?.finish();
    await settle();
    drawer.push(frame(3));
    expect(drawn).toEqual([]);
    expect(decoder.closed).toEqual([1]);
    expect(decoder.waiting).toHaveLength(1);
  });
});

describe("FrameMeter", () => {
  test("10 frames a second read as 10 fps, with the mean latency", () => {
    const meter = new FrameMeter(2000);
    for (let i = 0; i < 40; i++) meter.record(i * 100, 30 + (i % 2) * 10, 2048);
    const reading = meter.read(3950);
    expect(reading.fps).toBeCloseTo(10, 0);
    expect(reading.kBps).toBeCloseTo(20, 0);
    expect(reading.latencyMs).toBeCloseTo(35, 0);
  });

  test("a stream that just started is measured over its own age; a stopped one decays to 0", () => {
    const meter = new FrameMeter(2000);
    for (let i = 0; i < 5; i++) meter.record(1000 + i * 100, 20);
    expect(meter.read(1500).fps).toBeCloseTo(10, 0);
    expect(meter.read(5000)).toEqual({ fps: 0, kBps: 0, latencyMs: null });
  });
});

describe("remembered settings", () => {
  test("round-trip", () => {
    const settings = {
      room: "team-7",
      name: "Zoë",
      capture: { width: 320, height: 240, fps: 10, quality: 0.5, layers: 3 },
      camera: "a1b2c3",
    };
    expect(parseSettings(serializeSettings(settings))).toEqual(settings);
  });

  test("bad or missing values fall back to defaults, field by field", () => {
    expect(parseSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings("not json")).toEqual(DEFAULT_SETTINGS);
    const parsed = parseSettings(
      JSON.stringify({
        room: "no spaces",
        name: "\u0007bob ",
        size: "1x1",
        fps: 7,
        quality: 2,
        layers: 4,
      }),
    );
    expect(parsed).toEqual({ ...DEFAULT_SETTINGS, name: "bob" });
    expect(parseSize("640x480")).toEqual([640, 480]);
    expect(parseFps("15")).toBe(15);
    expect(parseQuality("0.3")).toBe(0.3);
  });
});

describe("page URLs", () => {
  test("room from /r/ROOM, relay on the page's own host", () => {
    expect(roomFromPath("/r/demo")).toBe("demo");
    expect(roomFromPath("/r/demo/")).toBe("demo");
    expect(roomFromPath("/r/bad%20room")).toBeNull();
    expect(roomFromPath("/r/%E0%A4%A")).toBeNull();
    expect(roomFromPath("/")).toBeNull();
    expect(roomPagePath("a_b-1")).toBe("/r/a_b-1");
    expect(relayBaseUrl("http://127.0.0.1:8765/r/x")).toBe("ws://127.0.0.1:8765");
    expect(relayBaseUrl("https://cast.example/r/x")).toBe("wss://cast.example");
  });
});

describe("status and messages", () => {
  test("the reconnect countdown rounds up to whole seconds", () => {
    expect(describeState({ kind: "reconnecting", retryAtMs: 10_400 }, 8_000)).toBe(
      "connection lost: reconnecting in 3 s",
    );
    expect(describeState({ kind: "live" }, 0)).toBe("live");
    expect(describeState({ kind: "connecting", attempt: 3 }, 0)).toBe("connecting (try 3)…");
  });

  test("camera failures get a plain sentence that says the page still works", () => {
    const denied = describeCameraError(new DOMException("Permission denied", "NotAllowedError"));
    expect(denied.problem).toBe("denied");
    expect(denied.message).toContain("You can still watch");
    expect(describeCameraError(new DOMException("", "NotFoundError")).problem).toBe("absent");
    expect(describeCameraError(new DOMException("", "NotReadableError")).problem).toBe("busy");
    expect(describeCameraError("weird").problem).toBe("failed");
  });
});

describe("what tiles and the people list say", () => {
  test("a tile's latency: the network's alone, both when lip sync holds frames", () => {
    const reading = { fps: 15, kBps: 40, latencyMs: 121.4 };
    // Drawn on arrival: one figure, the network's (as the CLI shows it).
    expect(formatReading(reading, 20.2, false)).toBe("15 fps · 20 ms");
    // Held for the sound: both, the hold named.
    expect(formatReading(reading, 20.2, true)).toBe("15 fps · net 20 ms · shown 121 ms (lip sync)");
    // Nothing arrived in the window yet: the drawn figure; clocks a little apart: never negative.
    expect(formatReading(reading, null, true)).toBe("15 fps · 121 ms");
    expect(formatReading({ ...reading, latencyMs: null }, -3, false)).toBe("15 fps · 0 ms");
    expect(formatReading({ ...reading, latencyMs: null })).toBe("15 fps");
  });

  test("viewers and participants who send nothing are named so in the people list", () => {
    expect(personNote({ id: 1, name: "me", you: true })).toBe(" (you)");
    expect(personNote({ id: 1, name: "me", you: true, viewer: true })).toBe(" (you, viewer)");
    expect(personNote({ id: 2, name: "v", you: false, viewer: true, sending: false })).toBe(
      " (viewer)",
    );
    expect(personNote({ id: 3, name: "cli", you: false, sending: false })).toBe(" (not sending)");
    expect(personNote({ id: 4, name: "cam", you: false, sending: true })).toBe("");
    expect(personNote({ id: 5, name: "old", you: false, legacy: true, sending: true })).toBe(
      " (old client)",
    );
  });

  test("a join link's token says whether it is view only (read, not verified)", () => {
    const claims = (can: unknown) =>
      `h.${btoa(JSON.stringify({ room: "team", name: "vic", can })).replace(/=+$/, "")}.s`;
    const page = (can: unknown) => `http://localhost:8765/r/team?token=${claims(can)}`;
    expect(tokenFromPage(page(["view"]))?.viewOnly).toBe(true);
    expect(tokenFromPage(page(["publish", "view"]))?.viewOnly).toBe(false);
    expect(tokenFromPage(page(undefined))?.viewOnly).toBe(false);
    expect(tokenFromPage("http://localhost:8765/r/team")).toBeNull();
  });
});
