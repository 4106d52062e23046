// The send side of an encrypted room, shared by the CLI and the page: one sealer per client for
// its whole life (every kind of frame, across reconnects, so nonces never repeat), with frames
// finished in the order they were handed in.
import { FrameSealer, type RoomKey } from "../protocol/index.ts";

export class FrameEncryptor {
  readonly #sealer: FrameSealer;
  #tail: Promise<unknown> = Promise.resolve();
  /** Frames sealed so far. */
  sealed = 0;

  constructor(key: RoomKey) {
    this.#sealer = new FrameSealer(key);
  }

  /** Seals a plaintext frame (header + payload of any kind); resolves in call order. */
  seal(frame: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const result = this.#tail.then(async () => {
      const message = await this.#sealer.seal(frame);
      this.sealed++;
      return message;
    });
    this.#tail = result.catch(() => {});
    return result;
  }
}
