// "Share microphone" and "Mute" in the room controls: start/stop the microphone sender, mute and
// unmute it, and say plainly when the browser can't send sound. #app's data-mic is "off",
// "starting", "on", "muted" or "failed" (for styling and tests).
import type { AudioSupport } from "../audio-support.ts";
import type { MicSender } from "./mic-sender.ts";

export interface MicElements {
  app: HTMLElement;
  micButton: HTMLButtonElement;
  muteButton: HTMLButtonElement;
  audioNotice: HTMLElement;
}

export class MicControls {
  readonly #ui: MicElements;
  readonly #sender: MicSender;
  #request = 0;

  constructor(ui: MicElements, sender: MicSender, support: AudioSupport) {
    this.#ui = ui;
    this.#sender = sender;
    this.#set("off");
    if (support.problem) this.#notice(support.problem);
    ui.micButton.disabled = !support.canSend;
  }

  async toggle(): Promise<void> {
    if (this.#sender.running || this.#ui.app.dataset.mic === "starting") {
      this.stop();
      return;
    }
    const request = ++this.#request;
    this.#set("starting");
    const result = await this.#sender.start();
    if (request !== this.#request) {
      if (result.ok) this.#sender.stop();
      return;
    }
    if (!result.ok) {
      this.#set("failed");
      this.#notice(result.message);
      return;
    }
    this.#ui.audioNotice.hidden = true;
    this.#set("on");
  }

  toggleMute(): void {
    if (!this.#sender.running) return;
    this.#sender.setMuted(!this.#sender.muted);
    this.#set(this.#sender.muted ? "muted" : "on");
  }

  /** Counters for tests and tooling: packets and bytes sent (header included). */
  refresh(): void {
    const { sent, sentBytes, skipped } = this.#sender.counts;
    const data = this.#ui.app.dataset;
    data.micSent = String(sent);
    data.micSentBytes = String(sentBytes);
    data.micSkipped = String(skipped);
  }

  /** After every welcome: the relay forgot our track with the old socket. */
  welcome(): void {
    this.#sender.announce();
  }

  stop(): void {
    this.#request++;
    if (this.#sender.running) this.#sender.stop();
    this.#set("off");
  }

  #set(state: "off" | "starting" | "on" | "muted" | "failed"): void {
    const { app, micButton, muteButton } = this.#ui;
    app.dataset.mic = state;
    const live = state === "on" || state === "muted" || state === "starting";
    // Short labels: the control bar keeps one row at 1280 px (the titles say it in full).
    micButton.textContent = live ? "Stop mic" : "Share mic";
    micButton.title = live ? "Stop sharing your microphone" : "Share microphone";
    micButton.setAttribute("aria-pressed", String(live));
    muteButton.hidden = !(state === "on" || state === "muted");
    // An icon and a label (web/controls/bar-buttons.ts): the crossed microphone while muted.
    muteButton.textContent = state === "muted" ? "Unmute" : "Mute";
    muteButton.dataset.icon = state === "muted" ? "mic-off" : "mic";
    muteButton.title = state === "muted" ? "Unmute your microphone" : "Mute your microphone";
    muteButton.setAttribute("aria-label", state === "muted" ? "unmute" : "mute");
    muteButton.setAttribute("aria-pressed", String(state === "muted"));
  }

  #notice(text: string): void {
    this.#ui.audioNotice.textContent = text;
    this.#ui.audioNotice.hidden = false;
  }
}
