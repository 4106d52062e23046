// The send path: stamp and send each captured frame, or skip it. Latest frame wins: when the
// socket still holds a few frames' worth of unsent bytes, the new frame is skipped rather than
// queued, so a slow uplink lowers the frame rate instead of raising the latency.
//
// With --codec h264 both streams come from capture: H.264 (kind 4) is sent while the relay's
// codecs_needed says someone decodes it, JPEG while someone can't (docs/PROTOCOL.md, "Mixed
// rooms"). JPEG waits for our first H.264 frame on each connection, whoever is in the room: the
// relay moves H.264 receivers to a sender's kind 4 once it has sent one, and before that they
// would get its JPEG (a recorder would start a JPEG file, then an H.264 one). An H.264 frame
// skipped for any reason makes its layer wait for the next key frame: a delta without its
// reference would decode to garbage.
import type { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { videoCongested } from "../../client-core/send-policy.ts";
import {
  type CodecsNeededMessage,
  ENCRYPTION_OVERHEAD,
  FrameKind,
  HEADER_BYTES,
  h264Flags,
  layerFlags,
  MAX_LAYERS,
  writeHeader,
} from "../../protocol/index.ts";
import type { CodecPool } from "../codec-pool.ts";
import type { Wire } from "../options.ts";
import type { VideoCodec } from "./capture-args.ts";

/** How long after a welcome an H.264 sender waits for codecs_needed before sending JPEG alone. */
export const CODECS_NEEDED_WAIT_MS = 1000;

export class FrameSender {
  readonly #wire: Wire;
  readonly #pool: CodecPool | null;
  readonly #socket: () => WebSocket | null;
  readonly #log: (line: string) => void;
  /** Seals every frame when the room is end-to-end encrypted. */
  readonly #encryptor: FrameEncryptor | null;
  #sequence = 0;
  /** Per layer: frames of one picture share a sequence number (the k-th frame of each layer). */
  readonly #layerSequence = new Array<number>(MAX_LAYERS).fill(0);
  /** Size of each layer's last frame: the congestion check allows a few pictures of all layers. */
  readonly #lastBytes = new Array<number>(MAX_LAYERS).fill(0);
  /** The same for H.264: its own sequence numbers, sizes, and layers waiting for a key frame. */
  readonly #h264Sequence = new Array<number>(MAX_LAYERS).fill(0);
  readonly #h264LastBytes = new Array<number>(MAX_LAYERS).fill(0);
  readonly #h264NeedsKey = new Array<boolean>(MAX_LAYERS).fill(true);
  /** What we capture: "h264" sends H.264 and JPEG as codecs_needed says. */
  readonly codec: VideoCodec;
  /** The relay's last codecs_needed; null until one came on this connection. */
  #codecs: { jpeg: boolean; h264: boolean } | null = null;
  /** When this connection's welcome came (NaN: not welcomed yet). */
  #welcomedAt = Number.NaN;
  /** An H.264 frame went out on this connection: the relay knows us as an H.264 sender. */
  #sentH264 = false;
  /** Newest base64 frame handed to the socket: an older one finishing late is dropped. */
  #newestSent = -1;
  #warnedTooLarge = false;
  /** From the relay's welcome; frames above it would be refused. */
  maxFrameBytes = Number.POSITIVE_INFINITY;
  sent = 0;
  skipped = 0;
  sentBytes = 0;
  /** Per kind: frames (all layers) and bytes sent, for the status line and measurements. */
  readonly sentOf = { jpeg: 0, h264: 0 };
  readonly bytesOf = { jpeg: 0, h264: 0 };
  /** Frames and bytes sent per layer (the status line and the bench show them). */
  readonly sentPerLayer = new Array<number>(MAX_LAYERS).fill(0);
  readonly bytesPerLayer = new Array<number>(MAX_LAYERS).fill(0);

  constructor(options: {
    wire: Wire;
    pool: CodecPool | null;
    socket: () => WebSocket | null;
    log: (line: string) => void;
    encryptor?: FrameEncryptor | null;
    codec?: VideoCodec;
  }) {
    this.codec = options.wire === "binary" ? (options.codec ?? "jpeg") : "jpeg";
    this.#encryptor = options.encryptor ?? null;
    this.#wire = options.wire;
    this.#pool = options.pool;
    this.#socket = options.socket;
    this.#log = options.log;
  }

  /** `jpeg` must own its buffer and have HEADER_BYTES of free room before it (the splitter's headroom). */
  send(jpeg: Uint8Array, captureTimeMs: number, layer = 0): void {
    const socket = this.#socket();
    if (layer !== 0 && this.#wire !== "binary") return; // the old protocol has no layers
    // Every captured picture takes a number, sent or skipped: a gap tells receivers of a skip.
    const sequence = this.#layerSequence[layer] as number;
    this.#layerSequence[layer] = (sequence + 1) >>> 0;
    if (!this.#wants("jpeg")) {
      this.#lastBytes[layer] = 0;
      return; // nobody needs our JPEG now (an H.264 sender's second stream)
    }
    this.#lastBytes[layer] = jpeg.byteLength + HEADER_BYTES;
    if (!socket || this.#congested(socket)) {
      this.skipped++;
      return;
    }
    // Sealing adds ENCRYPTION_OVERHEAD bytes, which count against the relay's limit too.
    const overhead = this.#encryptor ? ENCRYPTION_OVERHEAD : 0;
    if (jpeg.byteLength + overhead > this.maxFrameBytes) {
      this.skipped++;
      this.#warnTooLarge(jpeg.byteLength);
      return;
    }
    if (this.#wire === "binary") this.#sendBinary(socket, jpeg, captureTimeMs, layer, sequence);
    else void this.#sendBase64(jpeg);
  }

  /**
   * One H.264 access unit of `layer` (owning its buffer, HEADER_BYTES of room before it, as
   * send's JPEG). Sent only while someone decodes H.264, and a layer that skipped a frame sends
   * nothing more until its next key frame.
   */
  sendH264(unit: Uint8Array, captureTimeMs: number, layer: number, key: boolean): void {
    const socket = this.#socket();
    const sequence = this.#h264Sequence[layer] as number;
    this.#h264Sequence[layer] = (sequence + 1) >>> 0;
    if (this.#wire !== "binary" || !this.#wants("h264")) {
      this.#h264LastBytes[layer] = 0;
      this.#h264NeedsKey[layer] = true;
      return;
    }
    this.#h264LastBytes[layer] = unit.byteLength + HEADER_BYTES;
    if (this.#h264NeedsKey[layer] && !key) return; // waits for a key frame; not a skip of its own
    const overhead = this.#encryptor ? ENCRYPTION_OVERHEAD : 0;
    const tooLarge = unit.byteLength + overhead > this.maxFrameBytes;
    if (!socket || this.#congested(socket) || tooLarge) {
      this.skipped++;
      this.#h264NeedsKey[layer] = true;
      if (tooLarge) this.#warnTooLarge(unit.byteLength);
      return;
    }
    this.#h264NeedsKey[layer] = false;
    // Set before sealing: JPEG sealed after this goes out after it (the encryptor keeps order).
    this.#sentH264 = true;
    const message = new Uint8Array(
      unit.buffer as ArrayBuffer,
      unit.byteOffset - HEADER_BYTES,
      HEADER_BYTES + unit.byteLength,
    );
    writeHeader(message, {
      kind: FrameKind.VideoH264,
      flags: h264Flags(layer, key),
      senderId: 0,
      captureTimeMs,
      sequence,
    });
    if (this.#encryptor) {
      void this.#sendSealed(message, layer, "h264");
      return;
    }
    socket.send(message);
    this.#count(message, layer, "h264");
  }

  /** A new connection's welcome: wait for its codecs_needed (every layer restarts on a key). */
  welcomed(): void {
    this.#codecs = null;
    this.#sentH264 = false;
    this.#welcomedAt = performance.now();
    this.#h264NeedsKey.fill(true);
  }

  /** The relay says which codecs our receivers need (docs/PROTOCOL.md, "Mixed rooms"). */
  codecsNeeded(message: Pick<CodecsNeededMessage, "jpeg" | "h264">): void {
    if (!this.#codecs?.h264 && message.h264) this.#h264NeedsKey.fill(true);
    this.#codecs = { jpeg: message.jpeg, h264: message.h264 };
  }

  /** Which of our two streams are sent now ("jpeg" always for a JPEG sender). */
  #wants(kind: VideoCodec): boolean {
    if (this.codec === "jpeg") return kind === "jpeg";
    const codecs = this.#codecs;
    if (!codecs) {
      // A relay without codecs_needed (older than H.264) gets JPEG once the wait is over.
      return kind === "jpeg" && performance.now() - this.#welcomedAt > CODECS_NEEDED_WAIT_MS;
    }
    // H.264 until a first frame tells the relay what we are, then while someone decodes it;
    // JPEG only after that first H.264 frame (see the top), while someone needs it.
    if (kind === "h264") return codecs.h264 || !this.#sentH264;
    return codecs.jpeg && this.#sentH264;
  }

  /** The codecs being sent now, for the status line ("h264+jpeg"). */
  get sending(): string {
    const kinds = (["h264", "jpeg"] as const).filter(
      (kind) => (kind === "jpeg" || this.codec === "h264") && this.#wants(kind),
    );
    return kinds.length ? kinds.join("+") : "nothing (nobody to receive)";
  }

  #warnTooLarge(bytes: number): void {
    if (this.#warnedTooLarge) return;
    this.#warnedTooLarge = true;
    this.#log(
      `a ${Math.round(bytes / 1024)} kB frame is over the relay's ` +
        `${Math.round(this.maxFrameBytes / 1024)} kB limit: lower --size or raise --quality`,
    );
  }

  #congested(socket: WebSocket): boolean {
    const sum = (sizes: number[]) => sizes.reduce((total, bytes) => total + bytes, 0);
    const pictureBytes = sum(this.#lastBytes) + sum(this.#h264LastBytes);
    return videoCongested(socket.bufferedAmount, pictureBytes);
  }

  #sendBinary(
    socket: WebSocket,
    jpeg: Uint8Array,
    captureTimeMs: number,
    layer: number,
    sequence: number,
  ): void {
    // The header goes into the headroom in front of the JPEG: no copy of the frame.
    const message = new Uint8Array(
      jpeg.buffer as ArrayBuffer,
      jpeg.byteOffset - HEADER_BYTES,
      HEADER_BYTES + jpeg.byteLength,
    );
    writeHeader(message, {
      kind: FrameKind.VideoJpeg,
      flags: layerFlags(layer),
      senderId: 0,
      captureTimeMs,
      sequence,
    });
    if (this.#encryptor) {
      void this.#sendSealed(message, layer, "jpeg");
      return;
    }
    socket.send(message);
    this.#count(message, layer, "jpeg");
  }

  async #sendSealed(frame: Uint8Array, layer: number, kind: VideoCodec): Promise<void> {
    const message = await (this.#encryptor as FrameEncryptor).seal(frame);
    // The socket may have dropped while sealing: a reconnect brings newer frames.
    const socket = this.#socket();
    if (!socket) {
      this.skipped++;
      if (kind === "h264") this.#h264NeedsKey[layer] = true;
      return;
    }
    socket.send(message);
    this.#count(message, layer, kind);
  }

  #count(message: Uint8Array, layer: number, kind: VideoCodec): void {
    // Pictures sent: full-size frames of the codec we capture (an H.264 sender's JPEG copies of
    // the same pictures are not counted twice).
    if (layer === 0 && (kind === this.codec || !this.#wants(this.codec))) this.sent++;
    this.sentBytes += message.byteLength;
    this.sentOf[kind]++;
    this.bytesOf[kind] += message.byteLength;
    (this.sentPerLayer[layer] as number)++;
    (this.bytesPerLayer[layer] as number) += message.byteLength;
  }

  async #sendBase64(jpeg: Uint8Array): Promise<void> {
    const order = this.#sequence++;
    const pool = this.#pool as CodecPool;
    const text = await pool.encodeBase64(jpeg);
    const socket = this.#socket();
    if (text !== null) this.#lastBytes[0] = text.length;
    if (text === null || order < this.#newestSent || !socket || this.#congested(socket)) {
      this.skipped++;
      return;
    }
    this.#newestSent = order;
    socket.send(text);
    this.sent++;
    this.sentBytes += text.length;
  }
}
