// Sharing your screen (docs/BROWSER.md, "Screen sharing"; docs/PROTOCOL.md, "Screen sharing"):
// getDisplayMedia's track, drawn and encoded by a CameraSender of its own at the surface's full
// size and a low frame rate (screen-settings.ts), sent on a second WebSocket that joins as your
// share (`source=screen&owner=ID&share=KEY`, the key from your welcome). The relay shows it only
// to receivers that understand shares, and ends it when your own connection goes. It ends here
// when you click again, when the browser's own "Stop sharing" ends the track, or when its socket
// closes; it never reconnects on its own.
import { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import {
  encodeLayersAnnounce,
  isControlText,
  parseControl,
  type RoomKey,
  roomUrl,
} from "../../protocol/index.ts";
import { CameraSender } from "./camera-sender.ts";
import type { VideoCodec } from "./codec-choice.ts";
import { SCREEN_BITRATE_SCALE, SCREEN_FPS, screenCapture } from "./screen-settings.ts";

export interface ScreenShareOptions {
  relayBaseUrl: string;
  room: string;
  token: string | null;
  roomKey: RoomKey | null;
  /** The camera's codec choice (codec-choice.ts): the share sends the same. */
  codec: () => VideoCodec;
  /** The share started (true) or ended (false), with a reason to show when it failed. */
  onChange(sharing: boolean, problem?: string): void;
}

export class ScreenShare {
  readonly #options: ScreenShareOptions;
  #stream: MediaStream | null = null;
  #socket: WebSocket | null = null;
  #live = false;
  #sender: CameraSender | null = null;
  #video: HTMLVideoElement | null = null;
  /** Bumped by every start/stop, so a picker answered after a stop is closed again. */
  #request = 0;

  constructor(options: ScreenShareOptions) {
    this.#options = options;
  }

  get sharing(): boolean {
    return this.#stream !== null;
  }

  /** What the share's sender has sent (bytes, frames; tests and the tile read them). */
  get counts() {
    return this.#sender?.counts ?? null;
  }

  /** Asks for a surface and shares it as participant `owner` (your id and share key). */
  async start(owner: { id: number; shareKey: string }): Promise<void> {
    const request = ++this.#request;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: SCREEN_FPS, max: 15 } },
        audio: false,
      });
    } catch (error) {
      if (request === this.#request) this.#options.onChange(false, pickerProblem(error));
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (request !== this.#request || !track) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    // "detail": the browser keeps resolution over frame rate, as text needs.
    track.contentHint = "detail";
    // The browser's own "Stop sharing" bar (or the shared window closing) ends the track.
    track.addEventListener("ended", () => {
      if (this.#stream === stream) this.stop();
    });
    this.#stream = stream;
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.className = "screen-source";
    video.srcObject = stream;
    document.body.append(video);
    void video.play().catch(() => {});
    this.#video = video;
    const encryptor = this.#options.roomKey ? new FrameEncryptor(this.#options.roomKey) : null;
    const sender = new CameraSender({
      video,
      socket: () => (this.#live ? this.#socket : null),
      settings: screenCapture(1280, 720),
      encryptor,
      h264BitrateScale: SCREEN_BITRATE_SCALE,
      onTooLarge: () => {},
    });
    sender.setCodec(this.#options.codec());
    this.#sender = sender;
    // The surface's size is known once it plays, and changes when a shared window is resized.
    video.addEventListener("resize", () => this.#followSize());
    this.#connect(owner);
    this.#options.onChange(true);
  }

  stop(): void {
    this.#request++;
    const wasSharing = this.#stream !== null;
    this.#sender?.stop();
    this.#sender = null;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    this.#video?.remove();
    this.#video = null;
    this.#live = false;
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
    if (wasSharing) this.#options.onChange(false);
  }

  #followSize(): void {
    const video = this.#video;
    const sender = this.#sender;
    if (!video || !sender || video.videoWidth === 0) return;
    sender.update(screenCapture(video.videoWidth, video.videoHeight));
    this.#announce();
  }

  #announce(): void {
    if (this.#live && this.#sender) this.#socket?.send(encodeLayersAnnounce(this.#sender.layers));
  }

  #connect(owner: { id: number; shareKey: string }): void {
    const { relayBaseUrl, room, token, roomKey } = this.#options;
    const url = roomUrl(relayBaseUrl, room, {
      e2ee: roomKey !== null,
      token,
      screen: { owner: owner.id, key: owner.shareKey },
    });
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      if (this.#socket !== socket || typeof event.data !== "string") return;
      if (!isControlText(event.data)) return;
      const message = parseControl(event.data);
      const sender = this.#sender;
      if (!message || !sender) return;
      if (message.type === "welcome") {
        sender.maxFrameBytes = message.limits.maxFrameBytes;
        this.#live = true;
        this.#followSize();
        sender.start();
      } else if (message.type === "keyframe_request") sender.keyframeRequest(message.layer);
      else if (message.type === "codecs_needed") sender.codecsNeeded(message);
      else if (message.type === "error" && message.code === "share_refused") {
        this.#failed(`Screen share refused: ${message.message}`);
      }
    });
    socket.addEventListener("close", (event) => {
      if (this.#socket !== socket) return;
      this.#failed(event.code === 1000 || event.code === 4041 ? undefined : "Screen share lost");
    });
  }

  #failed(problem: string | undefined): void {
    const sharing = this.#stream !== null;
    this.#socket = null;
    this.stop();
    if (sharing && problem) this.#options.onChange(false, problem);
  }
}

function pickerProblem(error: unknown): string | undefined {
  // The user closed the picker: nothing to say.
  if (error instanceof DOMException && error.name === "NotAllowedError") return undefined;
  return `Screen sharing is not available here (${error instanceof Error ? error.message : String(error)})`;
}
