// The audio send path: announce the track after each welcome, then send every Opus packet as it
// comes. Audio is never skipped to make room for video (it is ~100 bytes per 20 ms); only a
// socket backed up by over a second of everything is spared more.

import type { FrameEncryptor } from "../../client-core/frame-encryptor.ts";
import { audioCongested } from "../../client-core/send-policy.ts";
import { audioTrackAnnouncement, encodeAudioPacket } from "../../protocol/index.ts";

export class AudioSender {
  readonly #socket: () => WebSocket | null;
  #sequence = 0;
  sent = 0;
  skipped = 0;
  sentBytes = 0;

  /** In an end-to-end encrypted room: the session's one encryptor, shared with the pictures. */
  readonly #encryptor: FrameEncryptor | null;

  constructor(socket: () => WebSocket | null, encryptor: FrameEncryptor | null = null) {
    this.#socket = socket;
    this.#encryptor = encryptor;
  }

  /** After every welcome (first join and reconnects): the relay forgets tracks with the socket. */
  announce(): void {
    this.#socket()?.send(JSON.stringify(audioTrackAnnouncement()));
  }

  send(opus: Uint8Array, captureTimeMs: number): void {
    const socket = this.#socket();
    if (!socket || socket.readyState !== WebSocket.OPEN || audioCongested(socket.bufferedAmount)) {
      this.skipped++;
      this.#sequence++; // a gap the receivers conceal
      return;
    }
    const message = encodeAudioPacket(opus, captureTimeMs, this.#sequence++);
    if (this.#encryptor) {
      void this.#encryptor.seal(message).then((sealed) => {
        // The socket may have dropped while sealing: the packet is gone, like any late one.
        const current = this.#socket();
        if (!current) {
          this.skipped++;
          return;
        }
        current.send(sealed);
        this.sent++;
        this.sentBytes += sealed.byteLength;
      });
      return;
    }
    socket.send(message);
    this.sent++;
    this.sentBytes += message.byteLength;
  }
}
