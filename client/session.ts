// One client run: capture → sender → relay → receiver → outputs, plus presence and status.

import { Acker } from "../client-core/acker.ts";
import { FrameDecryptor } from "../client-core/frame-decryptor.ts";
import { FrameEncryptor } from "../client-core/frame-encryptor.ts";
import { InboundFrames } from "../client-core/inbound-frames.ts";
import { LayerRequests, layerForMaxSize } from "../client-core/layer-choice.ts";
import { pageLinkFor } from "../client-core/room-key.ts";
import { Roster } from "../client-core/roster.ts";
import {
  type ConnectionParts,
  followConnectionLost,
  followWelcome,
} from "../client-core/welcome.ts";
import {
  encodeLayersAnnounce,
  HEADER_BYTES,
  isControlText,
  type LayerSize,
  type PeerInfo,
  parseControl,
  type RoomKey,
  roomUrl,
} from "../protocol/index.ts";
import { moderationExit, RoomChat } from "./chat/room-chat.ts";
import { CodecPool } from "./codec-pool.ts";
import { connectionOptions } from "./connection-options.ts";
import { type ClientOptions, VIEW_ONLY_TOKEN } from "./options.ts";
import { AudioPlayer } from "./outputs/audio-player.ts";
import { Recorder } from "./outputs/recorder.ts";
import { Viewer } from "./outputs/viewer.ts";
import { AudioReceiver } from "./receive/audio-receiver.ts";
import { FrameReceiver, LEGACY_STREAM } from "./receive/frame-receiver.ts";
import { asStream, welcomeAsStreams } from "./receive/share-streams.ts";
import type { FrameSink, StreamInfo } from "./receive/streams.ts";
import { RelayConnection } from "./relay-connection.ts";
import { AudioSender } from "./send/audio-sender.ts";
import { describeAudioSource } from "./send/audio-source.ts";
import { Capture } from "./send/capture.ts";
import { FrameSender } from "./send/frame-sender.ts";
import { ScreenSender } from "./send/screen-sender.ts";
import { sendLine, streamLine } from "./status-lines.ts";
import type { Terminal } from "./terminal.ts";

/** How long the session waits for the source's first frame before joining anyway. */
const CAPTURE_START_GRACE_MS = 5000;

export interface SessionTools {
  ffmpeg: string;
  /** Needed only with --view. */
  ffplay: string | null;
  /** The imported --e2ee-key, or null for an unencrypted room. */
  roomKey?: RoomKey | null;
}

export class ClientSession {
  readonly #options: ClientOptions;
  readonly #terminal: Terminal;
  readonly #roster = new Roster();
  readonly #sinks: FrameSink[] = [];
  readonly #pool: CodecPool | null;
  readonly #connection: RelayConnection;
  readonly #acker = new Acker(() => this.#connection.socket);
  /** Which layer of each sender we ask for (--max-size); the layers each sender offers. */
  readonly #layerRequests = new LayerRequests((text) => this.#sendText(text));
  readonly #peerLayers = new Map<number, LayerSize[]>();
  readonly #receiver: FrameReceiver;
  readonly #audioReceiver: AudioReceiver;
  /** Opens every binary frame first in an encrypted room (any kind), then routes it by kind. */
  readonly #inbound: InboundFrames;
  readonly #sender: FrameSender | null;
  readonly #audioSender: AudioSender | null;
  readonly #capture: Capture | null;
  readonly #recorder: Recorder | null;
  /** Chat, hands, recording and host controls (client/chat/); null on the old protocol. */
  readonly #chat: RoomChat | null;
  /** --screen: the X display shared as our screen, on a second connection. */
  readonly #screen: ScreenSender | null;
  #stopped = false;
  #statusTimer: ReturnType<typeof setInterval> | null = null;
  #resolveFatal: (message: string, exitCode?: number) => void = () => {};
  /**
   * Resolves when the session can't go on: capture can't work or the relay refused us (exit
   * code 1), or the relay says the token is view-only while we capture (2, as before capture).
   */
  readonly fatal: Promise<{ message: string; exitCode: number }>;

  constructor(options: ClientOptions, tools: SessionTools, terminal: Terminal) {
    this.#options = options;
    this.#terminal = terminal;
    this.fatal = new Promise((resolve) => {
      this.#resolveFatal = (message, exitCode = 1) => resolve({ message, exitCode });
    });
    const log = (line: string) => terminal.log(line);
    const legacy = options.wire === "base64";
    this.#pool = legacy ? new CodecPool() : null;
    this.#recorder = options.record
      ? new Recorder(options.record, tools.ffmpeg, log, options.fps)
      : null;
    if (this.#recorder) this.#sinks.push(this.#recorder);
    if (options.view && tools.ffplay) this.#sinks.push(new Viewer(tools.ffplay, log));
    if (options.view && tools.ffplay && options.playAudio) {
      this.#sinks.push(new AudioPlayer(tools.ffplay, log));
    }
    this.#audioReceiver = new AudioReceiver(this.#roster, this.#sinks, log);
    this.#receiver = new FrameReceiver({
      roster: this.#roster,
      sinks: this.#sinks,
      pool: this.#pool,
      log,
      onDone: (frame) => this.#acker.done(frame),
    });
    const roomKey = tools.roomKey ?? null;
    this.#inbound = new InboundFrames({
      // Even without a key: encrypted senders are then reported, never passed on as JPEG.
      decryptor: legacy ? null : new FrameDecryptor(roomKey),
      acker: this.#acker,
      routes: {
        VideoJpeg: (frame) => this.#receiver.binary(frame),
        // H.264 goes to ffplay and the recorder as it is (they decode it): acked like JPEG.
        VideoH264: (frame) => this.#receiver.h264(frame),
        // Sound never goes through the video path (no acks: audio is not paced).
        Audio: (packet) => this.#audioReceiver.packet(packet),
      },
      // Counted on the sender's status line.
      undecryptable: (_message, senderId, state) => this.#receiver.undecryptable(senderId, state),
      malformed: (problem) => this.#receiver.malformed(problem),
    });

    // Recordings keep one size: a recorder takes full-size frames only (no ?layers=1).
    const url = legacy
      ? options.relay
      : roomUrl(options.relay, options.room, {
          name: options.name,
          ack: options.ack,
          layers: !options.record,
          audio: options.playAudio,
          e2ee: roomKey !== null,
          // ffplay and ffmpeg decode H.264. Only with acks: a receiver without them would get a
          // both-codecs sender's JPEG as well (docs/PROTOCOL.md, "Mixed rooms").
          codecs: options.ack ? ["h264"] : [],
          shares: true,
        });
    this.#screen =
      options.screen && !legacy
        ? new ScreenSender({
            ffmpeg: tools.ffmpeg,
            display: options.screen,
            relay: options.relay,
            room: options.room,
            connection: connectionOptions(options),
            e2ee: roomKey !== null,
            encryptor: () => (roomKey ? new FrameEncryptor(roomKey) : null),
            log,
          })
        : null;
    this.#connection = new RelayConnection(
      url,
      {
        log,
        onOpen: () => this.#opened(url),
        onMessage: (data) => this.#message(data),
        onClose: (code, reason) => this.#closed(code, reason),
        onRefused: (message) => this.#resolveFatal(message),
      },
      connectionOptions(options),
    );

    this.#chat = legacy
      ? null
      : new RoomChat({
          key: roomKey,
          readStdin: options.chat || process.stdin.isTTY === true,
          recording: options.record !== null,
          send: (text) => this.#sendText(text),
          log,
        });

    // One encryptor for the whole run, pictures and sound: its nonces never repeat, reconnects
    // included.
    const encryptor = roomKey && !legacy ? new FrameEncryptor(roomKey) : null;
    const sender = options.source
      ? new FrameSender({
          wire: options.wire,
          pool: this.#pool,
          socket: () => this.#connection.socket,
          log,
          encryptor,
          codec: options.codec ?? "jpeg",
        })
      : null;
    const audioSender = options.audio
      ? new AudioSender(() => this.#connection.socket, encryptor)
      : null;
    this.#sender = sender;
    this.#audioSender = audioSender;
    if (options.source || options.audio) {
      if (options.audio) log(`sending sound from ${describeAudioSource(options.audio)}`);
      this.#capture = new Capture({
        ffmpeg: tools.ffmpeg,
        source: options.source,
        audio: options.audio,
        settings: { ...options, codec: sender?.codec ?? "jpeg" },
        headroom: HEADER_BYTES,
        onFrame: (jpeg, captureTimeMs, layer) => sender?.send(jpeg, captureTimeMs, layer),
        onH264: (unit, captureTimeMs, layer, key) =>
          sender?.sendH264(unit, captureTimeMs, layer, key),
        onAudio: (opus, captureTimeMs) => audioSender?.send(opus, captureTimeMs),
        log,
        onFatal: (message) => this.#resolveFatal(message),
      });
    } else {
      this.#capture = null;
    }
  }

  start(): void {
    const key = this.#options.e2eeKey;
    if (key && this.#options.e2eeKeyIsNew) {
      this.#terminal.log(
        `end-to-end encrypted with a new room key: ${key}\n` +
          `  share the room link (the key stays in its #fragment, never sent to the relay):\n` +
          `  ${pageLinkFor(this.#options.relay, this.#options.room, key)}`,
      );
    } else if (key) {
      this.#terminal.log("end-to-end encrypted: frames are sealed with the room key (AES-GCM)");
    }
    if (this.#options.wire === "base64" && this.#options.room !== "lobby") {
      this.#terminal.log("--wire base64 has no rooms: the relay puts you in its lobby");
    }
    this.#capture?.start();
    this.#chat?.start();
    this.#screen?.start();
    void this.#joinOnceCapturing();
    this.#statusTimer = setInterval(() => this.#renderStatus(), this.#terminal.live ? 1000 : 2000);
  }

  /**
   * Joins once the source delivers its first frame: a missing camera or a bad file then fails
   * before anyone in the room sees us come and go. A source slow to start doesn't hold us out.
   */
  async #joinOnceCapturing(): Promise<void> {
    const capture = this.#capture;
    if (capture) {
      const outcome = await Promise.race([
        capture.firstFrame.then(() => "capturing" as const),
        this.fatal.then(() => "failed" as const),
        Bun.sleep(CAPTURE_START_GRACE_MS).then(() => "slow" as const),
      ]);
      if (outcome === "failed" || this.#stopped) return;
      if (outcome === "slow") {
        this.#terminal.log(
          `no picture from the source after ${CAPTURE_START_GRACE_MS / 1000} s; joining anyway`,
        );
      }
    }
    this.#connection.start();
  }

  /** Leaves cleanly: socket closed with 1000, ffmpeg stopped, viewers closed, files finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#chat?.stop();
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    this.#receiver.stop();
    this.#audioReceiver.stop();
    this.#terminal.finish();
    await Promise.all([this.#connection.close(), this.#capture?.stop(), this.#screen?.stop()]);
    for (const stream of this.#roster.peers) this.#endStream(stream);
    this.#receiver.end(LEGACY_STREAM);
    await Promise.all(this.#sinks.map((sink) => sink.close()));
    this.#pool?.close();
    const sender = this.#sender;
    if (sender) {
      this.#terminal.log(
        `sent ${sender.sent} frames (${Math.round(sender.sentBytes / 1024)} kB), ` +
          `skipped ${sender.skipped}; captured ${this.#capture?.framesCaptured ?? 0}` +
          (sender.codec === "h264"
            ? `; h264 ${sender.sentOf.h264} frames (${Math.round(sender.bytesOf.h264 / 1024)} kB), ` +
              `jpeg ${sender.sentOf.jpeg} frames (${Math.round(sender.bytesOf.jpeg / 1024)} kB), all layers`
            : ""),
      );
    }
    const audio = this.#audioSender;
    if (audio) {
      this.#terminal.log(
        `sent ${audio.sent} audio packets (${Math.round(audio.sentBytes / 1024)} kB), ` +
          `skipped ${audio.skipped}; captured ${this.#capture?.audioPacketsCaptured ?? 0}`,
      );
    }
  }

  #endStream(stream: StreamInfo): void {
    this.#receiver.end(stream);
    this.#audioReceiver.end(stream);
  }

  #opened(url: string): void {
    if (this.#options.wire === "base64") {
      this.#terminal.log(`connected to ${url} (base64 protocol: no presence, one unnamed stream)`);
    }
  }

  #message(data: ArrayBuffer | string): void {
    if (typeof data !== "string") {
      this.#inbound.receive(new Uint8Array(data));
      return;
    }
    if (!isControlText(data)) {
      void this.#receiver.base64(data);
      return;
    }
    const control = parseControl(data);
    if (control && control.type !== "welcome" && control.type !== "error") {
      this.#chat?.message(control);
    }
    switch (control?.type) {
      case "welcome": {
        followWelcome(control, this.#parts());
        this.#sender?.welcomed();
        this.#roster.welcome(welcomeAsStreams(control));
        this.#screen?.welcome(control.id, control.shareKey);
        this.#peerLayers.clear();
        if (this.#sender) this.#sendText(encodeLayersAnnounce(this.#options.layers));
        for (const peer of control.peers) this.#offered(peer.id, peer.layers);
        this.#audioSender?.announce();
        this.#chat?.welcome(control);
        const others = control.peers
          .map((peer) => `${peer.name} #${peer.id}${this.#peerNote(peer)}`)
          .join(", ");
        this.#terminal.log(
          `joined room ${control.room} as ${control.name} #${control.id}; ` +
            `${others ? `here: ${others}` : "nobody else here yet"}`,
        );
        break;
      }
      case "join":
        this.#roster.join(asStream(control.peer));
        this.#offered(control.peer.id, control.peer.layers);
        this.#terminal.log(
          `${asStream(control.peer).name} #${control.peer.id} joined${this.#peerNote(control.peer)}`,
        );
        break;
      case "leave": {
        const stream = this.#roster.leave(control.id);
        this.#peerLayers.delete(control.id);
        this.#layerRequests.forget(control.id);
        if (stream) {
          this.#endStream(stream);
          this.#terminal.log(`${stream.name} #${stream.id} left`);
        }
        break;
      }
      case "audio_track":
        if (this.#options.playAudio) this.#audioReceiver.track(control.id, control);
        break;
      case "error":
        // A token the options could not read as view-only (or a relay that changed its mind):
        // nothing we send will be relayed, so stop capturing, as before capture starts.
        if (control.code === "view_only" && this.#capture) {
          this.#resolveFatal(VIEW_ONLY_TOKEN, 2);
          break;
        }
        this.#terminal.log(`relay says: ${control.message} (${control.code})`);
        break;
      case "layers":
        this.#offered(control.id, control.layers);
        break;
      case "codecs_needed":
        this.#sender?.codecsNeeded(control);
        break;
      case "keyframe_request":
        // A running ffmpeg can't be asked for a key frame: it makes one every second anyway
        // (docs/CLIENT.md, "H.264").
        break;
      default:
        // A newer relay may send messages we don't know; ignoring them keeps us compatible.
        break;
    }
  }

  /** What is special about a peer in this room: an old client, or encryption that differs from ours. */
  #peerNote(peer: PeerInfo): string {
    if (peer.legacy) {
      return this.#options.e2eeKey
        ? " (base64 client: it cannot see encrypted video, and its own is hidden here)"
        : " (base64 client)";
    }
    if (peer.e2ee === undefined) return "";
    if (peer.e2ee && !this.#options.e2eeKey) return " (end-to-end encrypted: you have no key)";
    if (!peer.e2ee && this.#options.e2eeKey) return " (not encrypting: hidden here)";
    return "";
  }

  /** A sender's layers: with --max-size, ask for the largest that fits. */
  #offered(id: number, layers: LayerSize[] | undefined): void {
    if (!layers) return;
    this.#peerLayers.set(id, layers);
    const max = this.#options.maxSize;
    if (max) this.#layerRequests.ask(id, layerForMaxSize(layers, max));
  }

  #sendText(text: string): boolean {
    const socket = this.#connection.socket;
    if (!socket || this.#options.wire !== "binary") return false;
    socket.send(text);
    return true;
  }

  #closed(code: number, reason: string): void {
    const ended = moderationExit(code);
    if (ended) {
      // Removed or the call ended: reconnecting can't help; the run ends with this last word.
      this.#resolveFatal(`left the room: ${ended}`, 1);
    } else {
      this.#terminal.log(
        `connection to the relay lost (code ${code}${reason ? `: ${reason}` : ""})`,
      );
    }
    // Ids mean nothing on the next connection: finish every participant's outputs now.
    for (const stream of this.#roster.peers) this.#endStream(stream);
    this.#receiver.end(LEGACY_STREAM);
    this.#roster.clear();
    followConnectionLost(this.#parts());
    this.#screen?.connectionLost();
  }

  #parts(): ConnectionParts {
    return {
      acker: this.#acker,
      layerRequests: this.#layerRequests,
      inbound: this.#inbound,
      sender: this.#sender,
    };
  }

  #lastSent = 0;
  #lastSentBytes = 0;
  #lastStatusAt = performance.now();

  #renderStatus(): void {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#lastStatusAt) / 1000);
    this.#lastStatusAt = now;
    const sender = this.#sender;
    let sendStatus = null;
    if (sender) {
      sendStatus = {
        name: this.#roster.self?.name ?? this.#options.name,
        id: this.#roster.self?.id ?? null,
        connected: this.#connection.socket !== null,
        fps: (sender.sent - this.#lastSent) / seconds,
        kBps: (sender.sentBytes - this.#lastSentBytes) / 1024 / seconds,
        skipped: sender.skipped,
        codecs: this.#options.wire === "binary" ? sender.sending : undefined,
        layers: this.#options.wire === "binary" ? this.#options.layers.length : 1,
      };
      this.#lastSent = sender.sent;
      this.#lastSentBytes = sender.sentBytes;
    }
    const lines = [sendLine(sendStatus, this.#connection.socket !== null)];
    for (const [id, stats] of this.#receiver.stats) {
      const stream = id === 0 ? LEGACY_STREAM : this.#roster.streamOf(id);
      lines.push(
        streamLine(stream, stats, this.#peerLayers.get(id), this.#recorder?.progress(id) ?? null),
      );
    }
    this.#terminal.status(lines);
  }
}
