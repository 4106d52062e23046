// The sound part of a remote tile: a speaking ring (audio level), a muted icon when the sender
// muted their microphone, and a button to mute this participant for yourself only. Exposes the
// same as data-* for tests: data-speaking, data-muted, data-locally-muted, data-audio-packets,
// data-jitter-ms (queued sound), data-jitter-target-ms, data-concealed, data-late.
import type { AudioTrackInfo } from "../../../protocol/index.ts";
import { iconSvg, setIcon } from "../../controls/icons.ts";
import { element } from "../../dom.ts";
import type { TileView } from "../../watch/tile-view.ts";
import type { RemoteAudio } from "./remote-audio.ts";

export class TileAudioBadge {
  readonly #tile: HTMLElement;
  readonly #mutedIcon = element("span", "muted-icon");
  readonly #button = element("button", "local-mute");

  constructor(view: TileView, name: string, onLocalMute: (muted: boolean) => void) {
    const tile = view.element;
    this.#tile = tile;
    this.#mutedIcon.append(iconSvg("mic-off"));
    setIcon(this.#button, "volume");
    this.#mutedIcon.title = `${name} muted their microphone`;
    this.#mutedIcon.setAttribute("aria-label", `${name} is muted`);
    this.#mutedIcon.hidden = true;
    this.#button.type = "button";
    this.#button.hidden = true;
    this.#button.setAttribute("aria-pressed", "false");
    this.#button.title = `Mute ${name} for you only`;
    this.#button.addEventListener("click", () => {
      const muted = this.#button.getAttribute("aria-pressed") !== "true";
      onLocalMute(muted);
    });
    tile.dataset.speaking = "false";
    tile.dataset.muted = "false";
    tile.dataset.locallyMuted = "false";
    view.addBadge(this.#mutedIcon);
    view.addButton(this.#button);
  }

  update(
    track: AudioTrackInfo | undefined,
    remote: RemoteAudio | undefined,
    locallyMuted: boolean,
  ): void {
    const data = this.#tile.dataset;
    this.#button.hidden = track === undefined;
    setIcon(this.#button, locallyMuted ? "volume-off" : "volume");
    this.#button.setAttribute("aria-label", locallyMuted ? "unmute for you" : "mute for you");
    this.#button.setAttribute("aria-pressed", String(locallyMuted));
    data.locallyMuted = String(locallyMuted);
    data.hasAudio = String(track !== undefined);
    data.muted = String(track?.muted === true);
    this.#mutedIcon.hidden = track?.muted !== true;
    data.speaking = String(remote?.speaking === true && track?.muted !== true);
    if (!remote) return;
    data.audioPackets = String(remote.packets);
    const stats = remote.stats;
    if (stats) {
      data.jitterMs = stats.bufferedMs.toFixed(0);
      data.jitterTargetMs = stats.targetMs.toFixed(0);
      data.concealed = String(stats.concealed);
      data.late = String(stats.late);
    }
  }
}
