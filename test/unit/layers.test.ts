// Layers: the pure parts on fakes. Layer choice (client-core/), the relay's adaptation
// (relay/delivery/pacing/layer-adaptation.ts) driven by made-up link samples, and the wire bits.
import { describe, expect, test } from "bun:test";
import {
  devicePixels,
  fitInside,
  LayerRequests,
  layerForMaxSize,
  layerForTile,
  layerLadder,
} from "../../client-core/layer-choice.ts";
import {
  encodeVideoFrame,
  layerFlags,
  parseClientControl,
  parseControl,
  parseLayerSizes,
  readLayer,
  validateFrame,
  validLayerList,
} from "../../protocol/index.ts";
import {
  type AdaptationTuning,
  DEFAULT_TUNING,
  LayerAdapter,
} from "../../relay/delivery/pacing/layer-adaptation.ts";

const FULL = { width: 640, height: 480 };
const HALF = { width: 320, height: 240 };
const QUARTER = { width: 160, height: 120 };
const THREE = [FULL, HALF, QUARTER];

describe("layer choice", () => {
  test("the smallest layer at least as large as the tile's device pixels", () => {
    expect(layerForTile(THREE, { width: 150, height: 100 })).toBe(2);
    expect(layerForTile(THREE, { width: 160, height: 120 })).toBe(2);
    expect(layerForTile(THREE, { width: 161, height: 90 })).toBe(1);
    expect(layerForTile(THREE, { width: 300, height: 241 })).toBe(0);
    expect(layerForTile(THREE, { width: 1280, height: 720 })).toBe(0);
    expect(layerForTile([], { width: 10, height: 10 })).toBe(0);
  });

  test("device pixels follow devicePixelRatio and survive a bad one", () => {
    expect(devicePixels(200, 150, 2)).toEqual({ width: 400, height: 300 });
    expect(devicePixels(200.2, 150, 1)).toEqual({ width: 201, height: 150 });
    expect(devicePixels(200, 150, Number.NaN)).toEqual({ width: 200, height: 150 });
    expect(layerForTile(THREE, devicePixels(200, 150, 2))).toBe(0);
    expect(layerForTile(THREE, devicePixels(200, 150, 1))).toBe(1);
  });

  test("a picture is drawn inside its tile at its own shape", () => {
    expect(fitInside({ width: 300, height: 225 }, FULL)).toEqual({ width: 300, height: 225 });
    expect(fitInside({ width: 400, height: 300 }, { width: 1280, height: 720 })).toEqual({
      width: 400,
      height: 225,
    });
    expect(fitInside({ width: 0, height: 0 }, FULL)).toEqual({ width: 0, height: 0 });
  });

  test("--max-size takes the largest layer that fits, else the smallest", () => {
    expect(layerForMaxSize(THREE, { width: 640, height: 480 })).toBe(0);
    expect(layerForMaxSize(THREE, { width: 400, height: 300 })).toBe(1);
    expect(layerForMaxSize(THREE, { width: 100, height: 100 })).toBe(2);
    expect(layerForMaxSize([FULL], { width: 1, height: 1 })).toBe(0);
  });

  test("requests are sent only when they change, and again after a reset", () => {
    const sent: string[] = [];
    let open = true;
    const requests = new LayerRequests((text) => {
      if (open) sent.push(text);
      return open;
    });
    requests.ask(7, 1);
    expect(sent).toEqual([]); // not enabled until the welcome says so
    requests.setEnabled(true);
    requests.ask(7, 1);
    requests.ask(7, 1);
    requests.ask(7, 2);
    requests.ask(9, 0);
    expect(sent.map((text) => JSON.parse(text))).toEqual([
      { type: "layer_request", sender: 7, layer: 1 },
      { type: "layer_request", sender: 7, layer: 2 },
      { type: "layer_request", sender: 9, layer: 0 },
    ]);
    open = false;
    requests.ask(9, 1);
    expect(requests.asked(9)).toBe(0); // not sent: asked again next time
    open = true;
    requests.setEnabled(true);
    requests.ask(7, 2);
    expect(sent).toHaveLength(4);
  });
});

describe("wire", () => {
  test("layer id in flag bits 1-2; 3 is refused", () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff]);
    for (const layer of [0, 1, 2]) {
      const frame = encodeVideoFrame(jpeg, 1, 1, 0, layer);
      expect(readLayer(frame)).toBe(layer);
      expect(validateFrame(frame, 100)).toBeNull();
    }
    expect(layerFlags(2)).toBe(0x0004);
    const bad = encodeVideoFrame(jpeg, 1, 1);
    bad[2] = 0x06;
    expect(validateFrame(bad, 100)).toBe("bad_flags");
    bad[2] = 0x08;
    expect(validateFrame(bad, 100)).toBe("bad_flags");
  });

  test("layer lists: 1-3 sizes, each smaller than the one before", () => {
    expect(validLayerList(THREE)).toEqual(THREE);
    expect(validLayerList([{ width: 640, height: 480, extra: 1 }])).toEqual([FULL]);
    expect(validLayerList([])).toBeNull();
    expect(validLayerList([...THREE, { width: 80, height: 60 }])).toBeNull();
    expect(validLayerList([HALF, FULL])).toBeNull();
    expect(validLayerList([FULL, FULL])).toBeNull();
    expect(validLayerList([{ width: 8, height: 480 }])).toBeNull();
    expect(validLayerList([{ width: 640.5, height: 480 }])).toBeNull();
    expect(validLayerList("640x480")).toBeNull();
    expect(parseLayerSizes("640x480, 320x240")).toEqual([FULL, HALF]);
    expect(parseLayerSizes("640x480,big")).toBeNull();
    expect(layerLadder(640, 480)).toEqual([FULL, QUARTER]);
    expect(layerLadder(640, 480, 3)).toEqual(THREE);
    expect(layerLadder(640, 480, 1)).toEqual([FULL]);
    expect(layerLadder(1280, 720, 3)).toEqual([
      { width: 1280, height: 720 },
      { width: 640, height: 360 },
      { width: 320, height: 180 },
    ]);
    expect(layerLadder(32, 24)).toEqual([{ width: 32, height: 24 }]);
    expect(layerLadder(50, 50, 3)).toEqual([
      { width: 50, height: 50 },
      { width: 26, height: 26 },
    ]);
  });

  test("control messages parse both ways and refuse junk", () => {
    expect(parseClientControl('{"type":"layers","layers":[{"width":640,"height":480}]}')).toEqual({
      type: "layers",
      layers: [{ width: 640, height: 480 }],
    });
    expect(parseClientControl('{"type":"layer_request","sender":7,"layer":2}')).toEqual({
      type: "layer_request",
      sender: 7,
      layer: 2,
    });
    for (const junk of [
      '{"type":"layer_request","sender":7,"layer":3}',
      '{"type":"layer_request","sender":0,"layer":1}',
      '{"type":"layer_request","sender":"7","layer":1}',
      '{"type":"layer_request","sender":7}',
      '{"type":"layers","layers":[]}',
      '{"type":"layers"}',
    ]) {
      expect(parseClientControl(junk)).toBeNull();
    }
    expect(parseControl('{"type":"layers","id":3,"layers":[{"width":320,"height":240}]}')).toEqual({
      type: "layers",
      id: 3,
      layers: [{ width: 320, height: 240 }],
    });
  });
});

/** Drives an adapter with a fake link: `fps` published, `delivered` of them sent, per second. */
class FakeLink {
  now = 0;
  published = 0;
  sent = 0;
  buffered = 0;
  readonly switches: { at: number; layer: number }[] = [];

  constructor(readonly adapter: LayerAdapter) {}

  /** Runs `ms` at `fps` frames/s, of which `deliveredOf(layer)` per second reach the receiver. */
  run(ms: number, fps: number, deliveredOf: (layer: number) => number): void {
    const step = DEFAULT_TUNING.sampleMs;
    for (let t = 0; t < ms; t += step) {
      this.now += step;
      const layer = this.adapter.layer;
      this.published += (fps * step) / 1000;
      this.sent += (Math.min(fps, deliveredOf(layer)) * step) / 1000;
      const decision = this.adapter.sample({
        nowMs: this.now,
        published: Math.floor(this.published),
        sent: Math.floor(this.sent),
        bufferedBytes: this.buffered,
      });
      if (decision) {
        this.switches.push({ at: this.now, layer: decision.layer });
        // Counters are per layer: the new layer's start from zero.
        this.published = 0;
        this.sent = 0;
      }
    }
  }
}

/** A 1 Mbit/s link with 30 fps of 12 / 6.8 / 3.8 KB frames: 10, 18, 30 fps get through. */
const throttled = (layer: number) => [10, 18, 33][layer] as number;
const open = () => 1000;

describe("adaptation", () => {
  test("a receiver that asked nothing starts on the full layer and stays while it keeps up", () => {
    const link = new FakeLink(new LayerAdapter(0, 3, 0));
    link.run(10_000, 30, open);
    expect(link.switches).toEqual([]);
    expect(link.adapter.layer).toBe(0);
  });

  test("a link that can't keep up goes down within 1 s, one layer at a time, to one that does", () => {
    const link = new FakeLink(new LayerAdapter(0, 3, 0));
    link.run(5000, 30, throttled);
    expect(link.switches[0]?.layer).toBe(1);
    expect(link.switches[0]?.at).toBeLessThanOrEqual(1000);
    expect(link.switches[1]?.layer).toBe(2);
    expect(link.adapter.layer).toBe(2);
  });

  test("started with the lane's counters, the first judgement comes after one span (500 ms)", () => {
    const adapter = new LayerAdapter(0, 3, 0);
    adapter.start({ nowMs: 0, published: 0, sent: 0, bufferedBytes: 0 });
    const link = new FakeLink(adapter);
    link.run(500, 30, throttled);
    expect(link.switches).toEqual([{ at: 500, layer: 1 }]);
  });

  test("back up only after seconds of keeping up; a failed try waits longer; lifted: full within 5 s", () => {
    const link = new FakeLink(new LayerAdapter(0, 3, 0));
    link.run(3000, 30, throttled);
    const settled = link.switches.length;
    link.run(10_000, 30, throttled);
    // Tries of layer 1 fail and fall back; they are spaced by at least upAfterMs of layer 2.
    const tries = link.switches.slice(settled).filter((s) => s.layer === 1);
    expect(tries.length).toBeGreaterThan(0);
    expect(tries.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < tries.length; i++) {
      expect((tries[i] as { at: number }).at - (tries[i - 1] as { at: number }).at).toBeGreaterThan(
        DEFAULT_TUNING.upAfterFailedMs,
      );
    }
    const liftedAt = link.now;
    link.run(6000, 30, open);
    const full = link.switches.find((s) => s.at > liftedAt && s.layer === 0);
    expect(full).toBeDefined();
    expect((full as { at: number }).at - liftedAt).toBeLessThanOrEqual(5000);
    expect(link.adapter.layer).toBe(0);
  });

  test("never above what was asked; asking for less moves at once, for more at once unless the link holds it", () => {
    const adapter = new LayerAdapter(1, 3, 0);
    expect(adapter.layer).toBe(1);
    const link = new FakeLink(adapter);
    link.run(10_000, 30, open);
    expect(link.switches).toEqual([]);
    expect(adapter.request(2, link.now)).toEqual({ layer: 2, reason: "request" });
    expect(adapter.request(0, link.now)).toEqual({ layer: 0, reason: "request" });
    link.run(3000, 30, throttled);
    expect(adapter.layer).toBe(2);
    expect(adapter.request(1, link.now)).toBeNull(); // the link holds it at 2, not the request
    expect(adapter.request(2, link.now)).toBeNull();
  });

  test("a growing send buffer is falling behind, whatever the counts say", () => {
    const link = new FakeLink(new LayerAdapter(0, 2, 0));
    link.run(1000, 30, open);
    link.buffered = DEFAULT_TUNING.bufferBytes + 1;
    link.run(250, 30, open);
    link.buffered += 1000;
    link.run(250, 30, open);
    expect(link.adapter.layer).toBe(1);
    link.run(2000, 30, open); // buffer stays high but does not grow: kept up
    expect(link.adapter.layer).toBe(1);
  });

  test("layers the sender does not offer are never chosen; a paused sender is not judged", () => {
    const adapter = new LayerAdapter(2, 1, 0);
    expect(adapter.layer).toBe(0);
    const link = new FakeLink(adapter);
    link.run(3000, 30, () => 1);
    expect(adapter.layer).toBe(0); // nowhere to go
    expect(adapter.offer(3, link.now)).toEqual({ layer: 2, reason: "offer" });
    const paused = new FakeLink(new LayerAdapter(0, 3, 0));
    paused.run(5000, 0, () => 0);
    expect(paused.switches).toEqual([]);
    const fewer = new LayerAdapter(0, 3, 0);
    const fewerLink = new FakeLink(fewer);
    fewerLink.run(2000, 30, throttled);
    expect(fewer.offer(1, fewerLink.now)?.layer).toBe(0);
  });

  test("tuning is honoured (faster sampling still reacts within 1 s)", () => {
    const tuning: AdaptationTuning = { ...DEFAULT_TUNING, upAfterMs: 1000, upAfterFailedMs: 1500 };
    const adapter = new LayerAdapter(0, 3, 0, tuning);
    const link = new FakeLink(adapter);
    link.run(1000, 30, throttled);
    expect(adapter.layer).toBe(1);
  });
});
