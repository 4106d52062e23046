// One other participant: a canvas showing their newest frame, their name, live fps and latency
// (the network's, capture to arrival, and where lip sync holds frames for the sound, capture to
// screen as well).
// Its data-* attributes expose the same numbers to tests and tooling.
import { CRYPTO_STATE_TEXT, type SenderCryptoState } from "../../client-core/frame-decryptor.ts";
import { FrameMeter } from "../../client-core/frame-meter.ts";
import {
  type AudioTrackInfo,
  formatLayerSize,
  type LayerSize,
  type PeerInfo,
} from "../../protocol/index.ts";
import type { RemoteAudio } from "../audio/watch/remote-audio.ts";
import { TileAudioBadge } from "../audio/watch/tile-audio-badge.ts";
import { element } from "../dom.ts";
import { screenLabel } from "../send/screen-settings.ts";
import { H264SenderDecoders } from "./h264-sender-decoders.ts";
import { type IncomingFrame, LatestFrameDrawer } from "./latest-frame-drawer.ts";
import { type HeldFrame, LipSyncQueue } from "./lip-sync.ts";
import { formatReading } from "./stats-text.ts";
import { type TileActions, TileView } from "./tile-view.ts";

function decodeJpeg(jpeg: Uint8Array): Promise<ImageBitmap> {
  // The Blob copies the bytes, so the socket's buffer is free as soon as this returns.
  return createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }));
}

/** A decoded picture: a JPEG's bitmap or an H.264 decoder's VideoFrame (both drawable, both closed). */
type Picture = ImageBitmap | VideoFrame;

/** The codec of the sender's newest frame, as the tile shows it. */
const CODEC_LABEL = { jpeg: "JPEG", h264: "H.264" } as const;

/** What a tile needs of the room's sound (web/audio/room-audio.ts). */
export interface TileAudio {
  remote(id: number): RemoteAudio | undefined;
  trackOf(id: number): AudioTrackInfo | undefined;
  isLocallyMuted(id: number): boolean;
  setLocallyMuted(id: number, muted: boolean): void;
}

export class RemoteTile {
  readonly view: TileView;
  readonly element: HTMLElement;
  readonly #canvas = element("canvas", "picture");
  /** Shown on hover: which of the sender's sizes we get, and at what rate. */
  readonly #layerLabel = element("span", "layer", "");
  /** The sender's layers, largest first (undefined until it announces them). */
  layers: LayerSize[] | undefined;
  /** Layer of the newest frame received, and bytes received (page counters). */
  #layer: number | null = null;
  #bytes = 0;
  /** Frames drawn: fps, and capture-to-screen latency (lip sync's hold included). */
  readonly #meter = new FrameMeter();
  /** Frames arrived: capture-to-arrival latency, the network's (what the CLI shows). */
  readonly #network = new FrameMeter();
  /** The newest frame drawn was held for the sound (lip sync), not drawn on arrival. */
  #lipSynced = false;
  readonly #drawer: LatestFrameDrawer<ImageBitmap>;
  /** The sender's H.264 (kind 4): a decoder per layer, fed from key frames only. */
  readonly #h264: H264SenderDecoders;
  /** Codec of the newest frame received (data-codec, and a badge). */
  #codec: keyof typeof CODEC_LABEL | null = null;
  readonly #codecLabel = element("span", "codec", "");
  #disposed = false;
  /** End-to-end rooms: what we can show of this sender, said in the tile's overlay. */
  #cryptoState: SenderCryptoState = "ok";
  #undecryptable = 0;
  readonly #audio: TileAudio | null;
  readonly #badge: TileAudioBadge | null;
  /** Decoded frames waiting for the sound to reach them (lip sync: audio is the clock). */
  readonly #held = new LipSyncQueue<ImageBitmap>();
  #context: CanvasRenderingContext2D | null = null;
  #tickScheduled = false;
  /** Capture time of the frame on screen (null: none yet). */
  #shownCaptureMs: number | null = null;

  constructor(
    readonly peer: PeerInfo,
    actions: TileActions,
    audio: TileAudio | null = null,
  ) {
    this.#audio = audio;
    this.view = new TileView(this.#canvas, {
      name: peer.legacy
        ? `${peer.name} (old client)`
        : peer.source === "screen"
          ? screenLabel(peer.name)
          : peer.name,
      stats: "waiting for video…",
      actions,
    });
    this.element = this.view.element;
    this.view.addBadge(this.#layerLabel);
    this.view.addBadge(this.#codecLabel);
    this.layers = peer.layers;
    this.element.dataset.peerId = String(peer.id);
    this.element.dataset.name = peer.name;
    // A screen share (docs/BROWSER.md, Screen sharing): pinned when it appears (share-pinning.ts).
    if (peer.source === "screen") this.element.dataset.source = "screen";
    this.element.dataset.frames = "0";
    this.element.dataset.hasVideo = "false";
    this.element.dataset.e2ee = "ok";
    this.element.dataset.undecryptable = "0";
    if (peer.e2ee !== undefined) this.element.dataset.peerE2ee = String(peer.e2ee);
    this.view.overlay.setAttribute("role", "status");
    this.#canvas.setAttribute("role", "img");
    this.#canvas.setAttribute("aria-label", `${peer.name}'s video`);
    this.#canvas.width = 320;
    this.#canvas.height = 240;
    const context = this.#canvas.getContext("2d");
    this.#context = context;
    this.#drawer = new LatestFrameDrawer(decodeJpeg, (bitmap, frame) =>
      this.#arrived(bitmap, frame),
    );
    this.#h264 = new H264SenderDecoders((picture, frame) =>
      this.#decodedVideoFrame(picture, frame),
    );
    this.#badge =
      audio && !peer.legacy
        ? new TileAudioBadge(this.view, peer.name, (muted) => audio.setLocallyMuted(peer.id, muted))
        : null;
  }

  /** Sound of this participant playing now: its capture time (null: none, draw at once). */
  #audibleMs(): number | null {
    return this.#audio?.remote(this.peer.id)?.audibleCaptureTimeMs(performance.now()) ?? null;
  }

  /** A decoded frame: drawn now, or held until the sound reaches it. True: kept (held). */
  #arrived(bitmap: ImageBitmap, frame: IncomingFrame): boolean {
    if (this.#held.size === 0 && this.#audibleMs() === null) {
      this.#draw(this.#context, bitmap, frame.captureTimeMs);
      this.#lipSynced = false;
      return false;
    }
    for (const old of this.#held.push(bitmap, frame.captureTimeMs)) old.item.close();
    this.#scheduleTick();
    return true;
  }

  /**
   * An H.264 picture: drawn now and closed, or, to wait for the sound, copied into a bitmap
   * first (a VideoFrame held back keeps the decoder's buffers: it would stall).
   */
  #decodedVideoFrame(picture: VideoFrame, frame: IncomingFrame): void {
    if (this.#held.size === 0 && this.#audibleMs() === null) {
      this.#draw(this.#context, picture, frame.captureTimeMs);
      picture.close();
      this.#lipSynced = false;
      return;
    }
    void createImageBitmap(picture).then(
      (bitmap) => {
        picture.close();
        if (this.#disposed) bitmap.close();
        else if (!this.#arrived(bitmap, frame)) bitmap.close();
      },
      () => picture.close(),
    );
  }

  #scheduleTick(): void {
    if (this.#tickScheduled) return;
    this.#tickScheduled = true;
    requestAnimationFrame(() => this.#tick());
  }

  /** Each display frame while frames are held: show the one matching what is heard. */
  #tick(): void {
    this.#tickScheduled = false;
    const audioMs = this.#audibleMs();
    const { show, discard } = this.#held.choose(audioMs, this.#shownCaptureMs);
    for (const frame of discard) frame.item.close();
    if (show) this.#showHeld(show, audioMs);
    if (this.#held.size > 0) this.#scheduleTick();
  }

  #showHeld(frame: HeldFrame<ImageBitmap>, audioMs: number | null): void {
    this.#draw(this.#context, frame.item, frame.captureTimeMs);
    frame.item.close();
    this.#lipSynced = audioMs !== null;
    // Sound minus picture capture time: > 0 the sound leads (ITU-R BT.1359: +45 / -125 ms).
    if (audioMs !== null)
      this.element.dataset.avOffsetMs = (audioMs - frame.captureTimeMs).toFixed(0);
  }

  receive(frame: IncomingFrame, layer = 0, bytes = frame.jpeg.byteLength): void {
    this.#arriving(frame, layer, bytes, "jpeg");
    this.#drawer.push(frame);
  }

  /** A kind 4 frame: `frame.jpeg` holds the access unit. */
  receiveH264(frame: IncomingFrame, key: boolean, layer: number, bytes: number): void {
    this.#arriving(frame, layer, bytes, "h264");
    this.#h264.push(frame.jpeg, key, layer, frame);
  }

  #arriving(frame: IncomingFrame, layer: number, bytes: number, codec: keyof typeof CODEC_LABEL) {
    if (this.#cryptoState !== "ok") this.#setCryptoState("ok");
    this.#layer = layer;
    this.#codec = codec;
    this.#bytes += bytes;
    const now = performance.timeOrigin + performance.now();
    this.#network.record(now, now - frame.captureTimeMs);
  }

  /**
   * A frame (or sound packet) of this sender was dropped undecrypted (wrong key, tampered,
   * unencrypted in an encrypted room, or encrypted and we have no key): say so instead of
   * showing anything.
   */
  undecryptable(state: SenderCryptoState): void {
    this.#undecryptable++;
    if (state !== this.#cryptoState) this.#setCryptoState(state);
  }

  #setCryptoState(state: SenderCryptoState): void {
    this.#cryptoState = state;
    this.element.dataset.e2ee = state;
    const blocked = state !== "ok";
    this.view.overlay.hidden = !blocked;
    this.view.overlay.textContent = CRYPTO_STATE_TEXT[state];
    if (blocked) {
      // Whatever was drawn before must not stay up as if it were live.
      this.#canvas.getContext("2d")?.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
      this.view.setStats(CRYPTO_STATE_TEXT[state]);
    }
  }

  #draw(context: CanvasRenderingContext2D | null, picture: Picture, captureTimeMs: number): void {
    const width = "displayWidth" in picture ? picture.displayWidth : picture.width;
    const height = "displayHeight" in picture ? picture.displayHeight : picture.height;
    if (this.#canvas.width !== width || this.#canvas.height !== height) {
      this.#canvas.width = width;
      this.#canvas.height = height;
    }
    context?.drawImage(picture, 0, 0);
    const now = performance.timeOrigin + performance.now();
    this.#meter.record(now, now - captureTimeMs);
    this.#shownCaptureMs = captureTimeMs;
  }

  /** Updates the label and data-* from the counters (a few times a second, not per frame). */
  refresh(nowMs: number): void {
    const jpeg = this.#drawer.counts;
    const h264 = this.#h264.counts;
    const received = jpeg.received + h264.received;
    const drawn = jpeg.drawn + h264.drawn;
    const dropped = jpeg.dropped + h264.dropped;
    const failed = jpeg.failed + h264.failed;
    const reading = this.#meter.read(nowMs);
    const networkMs = this.#network.read(nowMs).latencyMs;
    const data = this.element.dataset;
    data.frames = String(drawn);
    data.received = String(received);
    data.dropped = String(dropped);
    data.failed = String(failed);
    data.fps = reading.fps.toFixed(1);
    // Capture to screen (lip sync's hold included), and capture to arrival (the network's).
    data.latencyMs = reading.latencyMs === null ? "" : reading.latencyMs.toFixed(0);
    data.networkLatencyMs = networkMs === null ? "" : networkMs.toFixed(0);
    data.lipSync = String(this.#lipSynced);
    data.undecryptable = String(this.#undecryptable);
    data.hasVideo = String(drawn > 0 && this.#cryptoState === "ok");
    data.bytes = String(this.#bytes);
    if (this.#codec !== null) {
      data.codec = this.#codec;
      this.#codecLabel.textContent = CODEC_LABEL[this.#codec];
    }
    if (this.#cryptoState !== "ok") this.view.setStats(CRYPTO_STATE_TEXT[this.#cryptoState]);
    else if (drawn > 0) this.view.setStats(formatReading(reading, networkMs, this.#lipSynced));
    if (this.#layer !== null) {
      const size = this.layers?.[this.#layer];
      const text = `layer ${this.#layer}${size ? ` · ${formatLayerSize(size)}` : ""} · ${reading.fps.toFixed(1)} fps`;
      data.layer = String(this.#layer);
      this.#layerLabel.textContent = text;
      this.element.title = text;
    }
    const audio = this.#audio;
    this.#badge?.update(
      audio?.trackOf(this.peer.id),
      audio?.remote(this.peer.id),
      audio?.isLocallyMuted(this.peer.id) ?? false,
    );
  }

  dispose(): void {
    this.#disposed = true;
    this.#drawer.dispose();
    this.#h264.close();
    for (const frame of this.#held.drain()) frame.item.close();
    this.element.remove();
  }
}
