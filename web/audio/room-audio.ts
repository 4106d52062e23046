// Everyone's sound in one room: one AudioContext at 48 kHz (Opus's rate: no resampling), the
// playback worklet loaded once, and a RemoteAudio per participant who sends sound.
import type { AudioTrackInfo } from "../../protocol/index.ts";
import { readSenderId } from "../../protocol/index.ts";
import { pageBasePath } from "../links/page-url.ts";
import { audioSupport } from "./audio-support.ts";
import { RemoteAudio } from "./watch/remote-audio.ts";
import { PLAYBACK_WORKLET_URL } from "./worklet-messages.ts";

export class RoomAudio {
  readonly support = audioSupport();
  readonly #remotes = new Map<number, RemoteAudio>();
  /** Tracks announced before the context was ready, applied once it is. */
  readonly #tracks = new Map<number, AudioTrackInfo>();
  readonly #locallyMuted = new Set<number>();
  #context: AudioContext | null = null;
  #ready = false;
  /** Packets that came while the worklet was loading (dropped: a few tens of ms at most). */
  droppedBeforeReady = 0;

  /** Call from a user gesture (the Join click) so the browser lets the page play sound. */
  start(): void {
    if (!this.support.canHear || this.#context) return;
    // For tests and debugging from the console: what a participant's playback just played.
    Object.assign(globalThis, {
      framecastAudioSnapshot: (id: number) => this.#remotes.get(id)?.snapshot() ?? null,
    });
    const context = new AudioContext({ sampleRate: 48_000, latencyHint: "interactive" });
    this.#context = context;
    // Under the page's prefix: behind a proxy the relay may live at /PREFIX/.
    const workletUrl = `${pageBasePath(location.pathname)}${PLAYBACK_WORKLET_URL}`;
    void context.audioWorklet.addModule(workletUrl).then(
      () => {
        if (this.#context !== context) return;
        this.#ready = true;
        for (const [id, track] of this.#tracks) this.#remote(id)?.setTrack(track);
      },
      () => {
        this.#context = null;
      },
    );
  }

  /** True when the browser holds sound back until the visitor clicks (autoplay policy). */
  get blocked(): boolean {
    return this.#context?.state === "suspended";
  }

  /** After a click anywhere on the page. */
  resume(): void {
    void this.#context?.resume();
  }

  track(id: number, track: AudioTrackInfo): void {
    this.#tracks.set(id, track);
    if (this.#ready) this.#remote(id)?.setTrack(track);
  }

  trackOf(id: number): AudioTrackInfo | undefined {
    return this.#tracks.get(id);
  }

  /** A kind-3 message from the relay. */
  packet(message: Uint8Array): void {
    if (!this.#ready) {
      this.droppedBeforeReady++;
      return;
    }
    this.#remote(readSenderId(message))?.packet(message);
  }

  remote(id: number): RemoteAudio | undefined {
    return this.#remotes.get(id);
  }

  setLocallyMuted(id: number, muted: boolean): void {
    if (muted) this.#locallyMuted.add(id);
    else this.#locallyMuted.delete(id);
    this.#remotes.get(id)?.setLocallyMuted(muted);
  }

  isLocallyMuted(id: number): boolean {
    return this.#locallyMuted.has(id);
  }

  /** The participant left. */
  remove(id: number): void {
    this.#remotes.get(id)?.dispose();
    this.#remotes.delete(id);
    this.#tracks.delete(id);
    this.#locallyMuted.delete(id);
  }

  /** Everyone goes (new connection: ids belong to one connection). */
  clear(): void {
    for (const id of [...this.#remotes.keys()]) this.remove(id);
    this.#tracks.clear();
  }

  close(): void {
    this.clear();
    void this.#context?.close();
    this.#context = null;
    this.#ready = false;
  }

  #remote(id: number): RemoteAudio | undefined {
    const context = this.#context;
    if (!context || !this.#ready) return undefined;
    let remote = this.#remotes.get(id);
    if (!remote) {
      remote = new RemoteAudio(context);
      remote.setLocallyMuted(this.#locallyMuted.has(id));
      this.#remotes.set(id, remote);
    }
    return remote;
  }
}
