// --screen DISPLAY (docs/CLIENT.md): shares an X display as this participant's screen
// (docs/PROTOCOL.md, "Screen sharing"). ffmpeg's x11grab captures it at SCREEN_FPS as
// high-quality MJPEG at the display's own size; each frame goes out on a second connection that
// joins as our share with the owner id and share key of the main connection's welcome. The relay
// ends the share when the main connection goes; the next welcome opens a new one. ffmpeg runs
// for the whole session; frames captured while no share connection is up are dropped.
import type { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { videoCongested } from "../../client-core/send-policy.ts";
import {
  CloseCode,
  ENCRYPTION_OVERHEAD,
  encodeLayersAnnounce,
  encodeVideoFrame,
  isControlText,
  type LayerSize,
  parseControl,
  roomUrl,
} from "../../protocol/index.ts";
import { openWebSocket } from "../connection-options.ts";
import { FrameClock } from "./frame-clock.ts";
import { jpegSize } from "./jpeg-size.ts";
import { MjpegSplitter } from "./mjpeg-splitter.ts";

/** Frames per second of a share: text changes seldom (the page shares at the same rate). */
export const SCREEN_FPS = 5;
/** MJPEG quantiser (2 best .. 31): text edges stay sharp. */
const SCREEN_QUALITY = 2;

/** ffmpeg's arguments for capturing X display `display` (e.g. ":99") as MJPEG on stdout. */
export function screenCaptureArgs(display: string, fps = SCREEN_FPS): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "x11grab",
    "-framerate",
    String(fps),
    "-i",
    display,
    // The mjpeg muxer would otherwise duplicate frames up to 25 fps.
    "-r",
    String(fps),
    "-f",
    "mjpeg",
    "-q:v",
    String(SCREEN_QUALITY),
    // Full-range JPEG (what x11grab's RGB becomes), as browsers and ffplay expect.
    "-pix_fmt",
    "yuvj420p",
    "pipe:1",
  ];
}

export interface ScreenSenderOptions {
  ffmpeg: string;
  display: string;
  relay: string;
  room: string;
  /** The main connection's WebSocket options (token header, CA). */
  connection: Bun.WebSocketOptions;
  e2ee: boolean;
  /** One per share connection's life is fine: a new FrameEncryptor gets a new salt. */
  encryptor: () => FrameEncryptor | null;
  log: (line: string) => void;
}

export class ScreenSender {
  readonly #options: ScreenSenderOptions;
  #process: ReturnType<typeof Bun.spawn> | null = null;
  #socket: WebSocket | null = null;
  #live = false;
  #encryptor: FrameEncryptor | null = null;
  #maxFrameBytes = Number.POSITIVE_INFINITY;
  #size: LayerSize | null = null;
  #sequence = 0;
  #sealing = false;
  #lastBytes = 0;
  #stopped = false;
  /** x11grab is a constant-rate source whose frames reach us in bursts: smooth stamps. */
  readonly #clock = new FrameClock(1000 / SCREEN_FPS);
  sent = 0;
  sentBytes = 0;
  skipped = 0;
  captured = 0;

  constructor(options: ScreenSenderOptions) {
    this.#options = options;
  }

  start(): void {
    const { ffmpeg, display, log } = this.#options;
    const process = Bun.spawn([ffmpeg, ...screenCaptureArgs(display)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#process = process;
    const splitter = new MjpegSplitter({ onFrame: (jpeg) => this.#frame(jpeg) });
    void (async () => {
      for await (const chunk of process.stdout as ReadableStream<Uint8Array>) splitter.push(chunk);
      const code = await process.exited;
      if (!this.#stopped) {
        const stderr = await new Response(process.stderr as ReadableStream<Uint8Array>).text();
        log(
          `screen capture of ${display} ended (ffmpeg exit ${code}): ${stderr.trim().slice(-300)}`,
        );
        this.#closeSocket();
      }
    })();
    log(`sharing X display ${display} as your screen (${SCREEN_FPS} fps, full size)`);
  }

  /** The main connection's welcome: (re)join as its share. */
  welcome(ownerId: number, shareKey: string | undefined): void {
    this.#closeSocket();
    if (this.#stopped) return;
    if (!shareKey) {
      this.#options.log("this relay does not take screen shares (no shareKey in its welcome)");
      return;
    }
    const { relay, room, connection, e2ee } = this.#options;
    const url = roomUrl(relay, room, { e2ee, screen: { owner: ownerId, key: shareKey } });
    const socket = openWebSocket(url, connection);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      if (this.#socket !== socket || typeof event.data !== "string") return;
      if (!isControlText(event.data)) return;
      const message = parseControl(event.data);
      if (message?.type === "welcome") {
        this.#maxFrameBytes = message.limits.maxFrameBytes;
        this.#encryptor = this.#options.encryptor();
        this.#live = true;
        this.#announce();
      } else if (message?.type === "error") {
        this.#options.log(
          `relay says about the screen share: ${message.message} (${message.code})`,
        );
      }
    });
    socket.addEventListener("close", (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#live = false;
      if (event.code !== CloseCode.ShareEnded && event.code !== 1000 && !this.#stopped) {
        this.#options.log(
          `screen share connection closed (code ${event.code}); it comes back with the next join`,
        );
      }
    });
  }

  /** The main connection is gone: so is the share (the relay ends it too). */
  connectionLost(): void {
    this.#closeSocket();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#closeSocket();
    const process = this.#process;
    if (process) {
      process.kill("SIGTERM");
      await Promise.race([process.exited, Bun.sleep(3000)]);
      if (process.exitCode === null) process.kill("SIGKILL");
    }
  }

  #closeSocket(): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#live = false;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  }

  #announce(): void {
    if (this.#live && this.#size) this.#socket?.send(encodeLayersAnnounce([this.#size]));
  }

  #frame(jpeg: Uint8Array): void {
    const captureTimeMs = this.#clock.stamp(
      this.captured,
      performance.timeOrigin + performance.now(),
    );
    this.captured++;
    if (this.#size === null) {
      this.#size = jpegSize(jpeg);
      this.#announce();
    }
    const socket = this.#socket;
    if (
      !socket ||
      !this.#live ||
      this.#sealing ||
      videoCongested(socket.bufferedAmount, this.#lastBytes)
    ) {
      this.skipped++;
      return;
    }
    const overhead = this.#encryptor ? ENCRYPTION_OVERHEAD : 0;
    if (jpeg.byteLength + overhead > this.#maxFrameBytes) {
      this.skipped++;
      return;
    }
    const message = encodeVideoFrame(jpeg, captureTimeMs, this.#sequence++);
    const encryptor = this.#encryptor;
    if (!encryptor) {
      this.#send(socket, message);
      return;
    }
    this.#sealing = true;
    void encryptor.seal(message).then(
      (sealed) => {
        this.#sealing = false;
        if (this.#socket === socket && this.#live) this.#send(socket, sealed);
      },
      () => {
        this.#sealing = false;
      },
    );
  }

  #send(socket: WebSocket, message: Uint8Array<ArrayBuffer>): void {
    socket.send(message);
    this.#lastBytes = message.byteLength;
    this.sent++;
    this.sentBytes += message.byteLength;
  }
}
