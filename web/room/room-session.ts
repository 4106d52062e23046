// Being in a room: the connection, the tiles, your camera and what it sends, and the status and
// notices that describe them. Lives from Join to Leave.

import { Acker } from "../../client-core/acker.ts";
import { FrameDecryptor } from "../../client-core/frame-decryptor.ts";
import { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { InboundFrames } from "../../client-core/inbound-frames.ts";
import { LayerRequests } from "../../client-core/layer-choice.ts";
import {
  type ConnectionParts,
  followConnectionLost,
  followWelcome,
} from "../../client-core/welcome.ts";
import {
  CloseCode,
  type ErrorMessage,
  encodeLayersAnnounce,
  type ModerationNotice,
  type RoomKey,
  roomUrl,
  type WelcomeMessage,
} from "../../protocol/index.ts";
import { RoomAudio } from "../audio/room-audio.ts";
import { MicControls, type MicElements } from "../audio/send/mic-controls.ts";
import { MicSender } from "../audio/send/mic-sender.ts";
import { pageToken } from "../links/page-url.ts";
import { closeCamera, openCamera } from "../send/camera.ts";
import { cameraFailure } from "../send/camera-errors.ts";
import { CameraSender } from "../send/camera-sender.ts";
import type { CaptureSettings } from "../send/capture-settings.ts";
import {
  type CodecSupport,
  chooseCodec,
  forcedCodec,
  NO_H264,
  type VideoCodec,
} from "../send/codec-choice.ts";
import { h264Support } from "../send/codec-support.ts";
import { ScreenShare } from "../send/screen-share.ts";
import { SelfTile } from "../send/self-tile.ts";
import { SharePinning } from "../watch/share-pinning.ts";
import { TileGrid } from "../watch/tile-grid.ts";
import { CallExtras, extrasElements, moderationClose } from "./call-extras.ts";
import type { CallLayout } from "./call-layout.ts";
import { type ConnectionState, describeState, explainRefusal } from "./connection-state.ts";
import type { ParticipantList } from "./participant-list.ts";
import { RoomConnection } from "./room-connection.ts";

export interface SessionElements extends MicElements {
  app: HTMLElement;
  status: HTMLElement;
  where: HTMLElement;
  tiles: HTMLElement;
  alone: HTMLElement;
  relayNotice: HTMLElement;
  cameraNotice: HTMLElement;
  shareButton: HTMLButtonElement;
  /** "view only" in the header: shown while your token lets you watch and listen only. */
  viewOnlyBadge: HTMLElement;
  /** "Share screen" (web/send/screen-share.ts). */
  screenButton: HTMLButtonElement;
}

export interface SessionOptions {
  relayBaseUrl: string;
  room: string;
  name: string;
  capture: CaptureSettings;
  /** The chosen camera (deviceId), null for the default; asked each time the camera opens. */
  camera: () => string | null;
  layout: CallLayout;
  participants: ParticipantList;
  /** The page came from a join link (its token goes with the socket URL). */
  hasToken: boolean;
  /** The room key from the link's #fragment; null for an unencrypted room. */
  roomKey?: RoomKey | null;
  /**
   * The join link's token says view only (read, not verified): no send controls from the start.
   * The relay's welcome says it for certain (docs/PROTOCOL.md, View-only participants).
   */
  viewOnly?: boolean;
}

/** How often labels, counters and the reconnect countdown are redrawn. */
const REFRESH_MS = 250;

export class RoomSession {
  readonly #ui: SessionElements;
  readonly #grid: TileGrid;
  readonly #selfTile: SelfTile;
  readonly #layout: CallLayout;
  readonly #participants: ParticipantList;
  readonly #camera: () => string | null;
  readonly #hasToken: boolean;
  #self: { id: number; name: string } | null = null;
  readonly #connection: RoomConnection;
  readonly #acker = new Acker(() => this.#connection.socket);
  /** Which layer of each sender the tiles ask for (docs/PROTOCOL.md, Layers). */
  readonly #layerRequests = new LayerRequests((text) => this.#sendText(text));
  readonly #sender: CameraSender;
  readonly #refreshTimer: ReturnType<typeof setInterval>;
  /** Opens encrypted frames (or, without a key, reports senders who encrypt), routes by kind. */
  readonly #inbound: InboundFrames;
  /** Everyone else's sound, and your microphone (web/audio/). */
  readonly #audio = new RoomAudio();
  readonly #mic: MicControls;
  #state: ConnectionState = { kind: "idle" };
  #capture: CaptureSettings;
  #stream: MediaStream | null = null;
  /** What WebCodecs can do here (asked before the first connect): join with codecs=h264 if it decodes. */
  #codecSupport: CodecSupport = NO_H264;
  #codecKnown = false;
  /** `?codec=` in the URL, or the Settings panel's choice: null lets the browser's support decide. */
  #forcedCodec: VideoCodec | null = forcedCodec(location.href);
  #left = false;
  /** Bumped by every share/stop so a camera that opens after a later click is closed again. */
  #cameraRequest = 0;
  /** Your token lets you watch and listen only: nothing is captured or sent. */
  #viewOnly = false;
  readonly #viewOnlyHint: boolean;
  /** Chat, hands, the REC mark and host controls (call-extras.ts). */
  readonly #extras: CallExtras;
  /** Your screen share, a second connection (web/send/screen-share.ts). */
  readonly #screen: ScreenShare;
  /** Others' shares are pinned as they appear (web/watch/share-pinning.ts). */
  readonly #sharePins: SharePinning;
  /** From the welcome: what your share connection presents (null: this relay has no shares). */
  #shareKey: string | null = null;

  constructor(ui: SessionElements, options: SessionOptions) {
    this.#ui = ui;
    const roomKey = options.roomKey ?? null;
    // One encryptor for the page's whole stay, camera and microphone: nonces never repeat.
    const encryptor = roomKey ? new FrameEncryptor(roomKey) : null;
    this.#capture = options.capture;
    this.#layout = options.layout;
    this.#participants = options.participants;
    this.#camera = options.camera;
    this.#hasToken = options.hasToken;
    this.#viewOnlyHint = options.viewOnly === true;
    this.#selfTile = new SelfTile(options.layout);
    this.#grid = new TileGrid(ui.tiles, {
      actions: options.layout,
      ack: (frame) => this.#acker.doneWith(frame),
      onChange: () => this.#peopleChanged(),
      requests: this.#layerRequests,
      audio: this.#audio,
    });
    this.#inbound = new InboundFrames({
      decryptor: new FrameDecryptor(roomKey),
      acker: this.#acker,
      routes: {
        VideoJpeg: (frame) => this.#grid.frame(frame),
        VideoH264: (frame) => this.#grid.h264Frame(frame),
        Audio: (packet) => this.#audio.packet(packet),
      },
      // Counted on the sender's tile.
      undecryptable: (_message, senderId, state) => this.#grid.undecryptable(senderId, state),
    });
    // Created during the Join click: the browser lets a page start sound from a user gesture.
    // Where it still holds sound back (autoplay policy), the next click or key lets it play.
    this.#audio.start();
    document.addEventListener("pointerdown", this.#unblockSound);
    document.addEventListener("keydown", this.#unblockSound);
    this.#mic = new MicControls(
      ui,
      new MicSender(() => this.#connection.socket, encryptor),
      this.#audio.support,
    );
    this.#extras = new CallExtras(extrasElements(ui.app, ui.tiles), roomKey, {
      send: (text) => this.#sendText(text),
      changed: () => this.#peopleChanged(),
      moderated: (notice, text) => this.#moderated(notice, text),
    });
    this.#selfTile.setName(options.name || "guest");
    this.#sender = new CameraSender({
      video: this.#selfTile.video,
      socket: () => this.#connection.socket,
      settings: options.capture,
      encryptor,
      onTooLarge: (bytes, limit) =>
        this.#showRelayNotice(
          `A ${Math.round(bytes / 1024)} kB frame is over the relay's ${Math.round(limit / 1024)} kB limit: choose a smaller size or lower quality.`,
          "frame_too_large",
        ),
    });
    this.#sharePins = new SharePinning(ui.tiles, options.layout);
    this.#screen = new ScreenShare({
      relayBaseUrl: options.relayBaseUrl,
      room: options.room,
      token: pageToken(location.href),
      roomKey,
      codec: () => (this.#ui.app.dataset.videoCodec === "h264" ? "h264" : "jpeg"),
      onChange: (sharing, problem) => this.#screenChanged(sharing, problem),
    });
    const url = () =>
      roomUrl(options.relayBaseUrl, options.room, {
        shares: true,
        name: options.name,
        ack: true,
        layers: true,
        e2ee: roomKey !== null,
        token: pageToken(location.href),
        codecs: this.#codecSupport.decode ? ["h264"] : [],
      });
    this.#connection = new RoomConnection(url, {
      onState: (state) => this.#setState(state),
      onWelcome: (welcome) => this.#welcome(welcome),
      onControl: (message) => {
        if (this.#extras.control(message)) return;
        if (message.type === "audio_track") {
          this.#audio.track(message.id, message);
          this.#grid.sendsSound(message.id);
          return;
        }
        if (message.type === "keyframe_request") this.#sender.keyframeRequest(message.layer);
        else if (message.type === "codecs_needed") this.#sender.codecsNeeded(message);
        else if (message.type === "join") {
          // Your own share is yours to see in the button, not a tile.
          if (message.peer.owner !== this.#self?.id) this.#grid.add(message.peer);
        } else if (message.type === "layers") this.#grid.setLayers(message.id, message.layers);
        else if (message.type === "leave") {
          this.#grid.remove(message.id);
          this.#audio.remove(message.id);
        }
      },
      onRefused: (refusal) =>
        this.#showRelayNotice(explainRefusal(refusal, this.#hasToken), `refused_${refusal.status}`),
      onRelayError: (error) => this.#relayError(error),
      onFrame: (message) => this.#inbound.receive(message),
      onClosed: (code) => this.#closed(code),
    });
    this.#refreshTimer = setInterval(() => this.#refresh(), REFRESH_MS);
    this.#ui.where.textContent = `room ${options.room}`;
    this.#setCameraState("off");
    this.#setViewOnly(this.#viewOnlyHint);
    delete ui.app.dataset.ended;
  }

  start(): void {
    // WebCodecs answers within milliseconds; the join URL says what we decode.
    void h264Support().then((support) => {
      if (this.#left) return;
      this.#codecSupport = support;
      this.#codecKnown = true;
      this.#applyCodec();
      this.#connection.start();
    });
  }

  /** The Settings panel's codec (null: automatic); the sender switches at once. */
  setForcedCodec(forced: VideoCodec | null): void {
    this.#forcedCodec = forced;
    if (this.#codecKnown && !this.#left) this.#applyCodec();
  }

  #applyCodec(): void {
    const codec = chooseCodec(this.#codecSupport, this.#forcedCodec);
    this.#sender.setCodec(codec);
    this.#ui.app.dataset.videoCodec = codec;
  }

  readonly #unblockSound = (): void => this.#audio.resume();

  leave(): void {
    this.#left = true;
    this.#screen.stop();
    this.#ui.screenButton.hidden = true;
    this.stopCamera();
    this.#mic.stop();
    this.#audio.close();
    document.removeEventListener("pointerdown", this.#unblockSound);
    document.removeEventListener("keydown", this.#unblockSound);
    this.#connection.stop();
    clearInterval(this.#refreshTimer);
    this.#grid.clear();
    this.#selfTile.hide();
    this.#self = null;
    this.#extras.leave();
    this.#peopleChanged();
    this.#ui.where.textContent = "";
    this.#ui.app.dataset.viewOnly = "false";
    delete this.#ui.app.dataset.ended;
    this.#ui.viewOnlyBadge.hidden = true;
    this.#ui.alone.hidden = true;
    this.#hideNotice(this.#ui.relayNotice);
    this.#hideNotice(this.#ui.cameraNotice);
    this.#hideNotice(this.#ui.audioNotice);
  }

  toggleMicrophone(): Promise<void> {
    // A click: the moment the browser allows sound to start, if it held it back.
    this.#audio.resume();
    if (this.#viewOnly) return Promise.resolve();
    return this.#mic.toggle();
  }

  toggleMute(): void {
    this.#mic.toggleMute();
  }

  async toggleCamera(): Promise<void> {
    if (this.#stream || this.#ui.app.dataset.camera === "starting") this.stopCamera();
    else await this.startCamera();
  }

  async startCamera(): Promise<void> {
    if (this.#viewOnly) return;
    const request = ++this.#cameraRequest;
    this.#setCameraState("starting");
    this.#hideNotice(this.#ui.cameraNotice);
    const result = await openCamera(this.#capture, this.#camera());
    if (request !== this.#cameraRequest) {
      if (result.ok) closeCamera(result.stream);
      return;
    }
    if (!result.ok) {
      this.#setCameraState(result.problem);
      this.#showCameraNotice(result.message);
      return;
    }
    this.shareStream(result.stream);
  }

  /** Shares a camera that is already open (the preview before joining, or a new choice). */
  shareStream(stream: MediaStream): void {
    if (this.#viewOnly) {
      closeCamera(stream);
      return;
    }
    this.#cameraRequest++;
    if (this.#stream && this.#stream !== stream) closeCamera(this.#stream);
    this.#stream = stream;
    this.#hideNotice(this.#ui.cameraNotice);
    for (const track of stream.getVideoTracks()) {
      // Unplugged camera or permission revoked mid-call: stop sharing and say why.
      track.addEventListener("ended", () => {
        if (this.#stream !== stream) return;
        this.stopCamera();
        const { problem, message } = cameraFailure("stopped");
        this.#setCameraState(problem);
        this.#showCameraNotice(message);
      });
    }
    this.#selfTile.show(stream);
    if (!this.#selfTile.element.isConnected) this.#ui.tiles.prepend(this.#selfTile.element);
    this.#sender.start();
    this.#announceLayers();
    this.#setCameraState("on");
    this.#layout.update(true);
  }

  /** Another camera was chosen: while sharing, switch to it. */
  async switchCamera(): Promise<void> {
    if (this.#stream) await this.startCamera();
  }

  get sharing(): boolean {
    return this.#stream !== null;
  }

  stopCamera(): void {
    this.#cameraRequest++;
    this.#sender.stop();
    closeCamera(this.#stream);
    this.#stream = null;
    this.#selfTile.hide();
    this.#setCameraState("off");
    this.#layout.update(true);
  }

  /** "Share screen": asks for a surface and shares it beside the camera, or stops. */
  async toggleScreen(): Promise<void> {
    if (this.#screen.sharing) {
      this.#screen.stop();
      return;
    }
    if (this.#viewOnly || this.#self === null || this.#shareKey === null) return;
    await this.#screen.start({ id: this.#self.id, shareKey: this.#shareKey });
  }

  #screenChanged(sharing: boolean, problem?: string): void {
    this.#ui.app.dataset.screen = sharing ? "on" : "off";
    this.#ui.screenButton.textContent = sharing ? "Stop screen" : "Share screen";
    this.#ui.screenButton.setAttribute(
      "aria-label",
      sharing ? "Stop sharing screen" : "Share screen",
    );
    this.#ui.screenButton.setAttribute("aria-pressed", String(sharing));
    if (problem) this.#showRelayNotice(problem, "screen_share");
  }

  setCapture(capture: CaptureSettings): void {
    this.#capture = capture;
    this.#sender.update(capture);
    if (this.#sender.running) this.#announceLayers();
  }

  /** Tells the room which sizes we send (again after every welcome and settings change). */
  #announceLayers(): void {
    this.#sendText(encodeLayersAnnounce(this.#sender.layers));
  }

  #sendText(text: string): boolean {
    const socket = this.#connection.socket;
    if (!socket) return false;
    socket.send(text);
    return true;
  }

  #welcome(welcome: WelcomeMessage): void {
    followWelcome(welcome, this.#parts());
    this.#shareKey = welcome.shareKey ?? null;
    // Shown once the relay takes shares from us (not on older relays, not with a view-only token).
    this.#ui.screenButton.hidden = this.#shareKey === null;
    this.#ui.screenButton.disabled = this.#shareKey === null;
    this.#setViewOnly(welcome.viewOnly === true || this.#viewOnlyHint);
    if (this.#sender.running) this.#announceLayers();
    this.#selfTile.setName(welcome.name);
    this.#ui.app.dataset.selfId = String(welcome.id);
    this.#ui.where.textContent = `room ${welcome.room} · you are ${welcome.name}${this.#viewOnly ? " (view only)" : ""}`;
    this.#hideNotice(this.#ui.relayNotice);
    this.#self = { id: welcome.id, name: welcome.name };
    this.#grid.welcome(welcome);
    this.#extras.welcome(welcome);
    this.#audio.clear();
    this.#mic.welcome();
    this.#peopleChanged();
  }

  #parts(): ConnectionParts {
    return {
      acker: this.#acker,
      layerRequests: this.#layerRequests,
      inbound: this.#inbound,
      sender: this.#sender,
    };
  }

  /**
   * View only: the camera and microphone stop, their controls and the capture settings go
   * (styles.css hides them under #app[data-view-only="true"]), and the header says so.
   */
  #setViewOnly(viewOnly: boolean): void {
    this.#viewOnly = viewOnly;
    this.#ui.app.dataset.viewOnly = String(viewOnly);
    this.#ui.viewOnlyBadge.hidden = !viewOnly;
    if (!viewOnly) return;
    this.#screen.stop();
    if (this.#stream || this.#ui.app.dataset.camera === "starting") this.stopCamera();
    this.#mic.stop();
  }

  #relayError(error: ErrorMessage): void {
    this.#showRelayNotice(`Relay: ${error.message}`, error.code);
  }

  #closed(code: number): void {
    // Participant ids belong to one connection: the next welcome brings the room afresh.
    followConnectionLost(this.#parts());
    // The relay ends a share with its owner's connection; a new one needs the new welcome's key.
    this.#screen.stop();
    this.#ui.screenButton.disabled = true;
    this.#sender.connectionLost();
    this.#self = null;
    this.#grid.clear();
    this.#audio.clear();
    this.#ui.alone.hidden = true;
    this.#extras.clear();
    const ended = moderationClose(code);
    if (ended) {
      // Removed or the call ended: trying again can't help (a removed link is refused anyway).
      this.#connection.stop();
      this.stopCamera();
      this.#mic.stop();
      this.#ui.app.dataset.ended = String(code);
      this.#ui.status.textContent = code === CloseCode.Removed ? "removed" : "call ended";
      this.#showRelayNotice(ended, `closed_${code}`);
      return;
    }
    if (code === CloseCode.MessageTooBig) {
      this.#showRelayNotice(
        "Relay: a frame was too big for the relay; choose a smaller size or lower quality.",
        "message_too_big",
      );
    }
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#ui.app.dataset.state = state.kind;
    this.#ui.status.textContent = describeState(state, Date.now());
    // Refused for good: the styles hide the call's controls and the invite (a link that just
    // got refused is no invitation); camera and microphone close, as nobody will see them.
    if (state.kind === "refused") {
      this.stopCamera();
      this.#mic.stop();
    }
  }

  #setCameraState(state: string): void {
    this.#ui.app.dataset.camera = state;
    const sharing = state === "on" || state === "starting";
    this.#ui.shareButton.textContent = sharing ? "Stop sharing" : "Share camera";
    this.#ui.shareButton.setAttribute("aria-pressed", String(sharing));
  }

  #refresh(): void {
    const now = performance.timeOrigin + performance.now();
    this.#grid.refresh(now);
    if (this.#stream) this.#selfTile.refresh(now, this.#sender.counts, this.#state.kind === "live");
    this.#ui.app.dataset.soundBlocked = String(this.#audio.blocked);
    this.#mic.refresh();
    this.#extras.refreshTiles();
    if (this.#state.kind === "reconnecting")
      this.#ui.status.textContent = describeState(this.#state, Date.now());
    // Notices above the tiles come and go, the window changes: the layout follows (cheap when
    // nothing changed).
    this.#layout.update();
  }

  /** Someone came or went: the layout, the participant list and the "nobody here" line follow. */
  #peopleChanged(): void {
    const self = this.#self;
    this.#participants.render(
      [
        ...(self ? [{ id: self.id, name: self.name, you: true, viewer: this.#viewOnly }] : []),
        ...this.#grid.peers
          .filter((peer) => peer.source !== "screen")
          .map((peer) => ({
            id: peer.id,
            name: peer.name,
            you: false,
            legacy: peer.legacy === true,
            viewer: peer.viewOnly === true,
            sending: this.#grid.hasTile(peer.id),
          })),
      ].map((person) => this.#extras.decorate(person)),
    );
    this.#participants.setTop(...this.#extras.top());
    this.#ui.alone.hidden = self === null || this.#grid.peers.length > 0;
    this.#sharePins.update();
    this.#layout.update(true);
  }

  /** A moderator acted on you: the page follows (mute, camera off) and says who did. */
  #moderated(notice: ModerationNotice, text: string): void {
    if (notice.action === "mute" && this.#ui.app.dataset.mic === "on") this.#mic.toggleMute();
    if (notice.action === "stop" && notice.media === "camera") this.stopCamera();
    if (notice.action === "stop" && notice.media === "sound") this.#mic.stop();
    this.#showRelayNotice(text, `moderation_${notice.action}`);
  }

  #showRelayNotice(text: string, code: string): void {
    this.#ui.relayNotice.textContent = text;
    this.#ui.relayNotice.dataset.code = code;
    this.#ui.relayNotice.hidden = false;
  }

  #showCameraNotice(text: string): void {
    this.#ui.cameraNotice.textContent = text;
    this.#ui.cameraNotice.hidden = false;
  }

  #hideNotice(notice: HTMLElement): void {
    notice.hidden = true;
    notice.textContent = "";
    delete notice.dataset.code;
  }
}
