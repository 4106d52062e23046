// Which frames of one sender's H.264 layer reach its decoder (docs/BROWSER.md, "Receiving
// H.264"): nothing until a key frame (a decoder fed a delta first throws; one fed a stream with
// holes shows garbage and says nothing), a new config whenever a key frame's SPS names another
// codec string, and after a decoder error (which closes it for good) nothing again until the
// next key frame, for a new decoder. The relay only ever sends deltas whose references we got;
// the sender makes a key frame at least every 2 s, and the relay asks it for one on our behalf.
// Pure: no WebCodecs here.

export type GateDecision =
  | { action: "drop" }
  /** `configure`: (re)build the decoder with this codec string first; null: keep it. */
  | { action: "decode"; configure: string | null };

export class KeyFrameGate {
  #waiting = true;
  /** The codec string the decoder is configured with (null: no decoder). */
  #codec: string | null = null;

  /** True until a key frame starts (or restarts) the stream. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** A frame arrives; `codec` is its SPS's codec string (null for deltas, or a key without SPS). */
  admit(key: boolean, codec: string | null): GateDecision {
    if (!key) return this.#waiting ? { action: "drop" } : { action: "decode", configure: null };
    if (codec === null) {
      // A key frame without SPS can't set a decoder up; with one running it still decodes.
      return this.#codec === null ? { action: "drop" } : this.#start(null);
    }
    return this.#start(codec === this.#codec ? null : codec);
  }

  #start(configure: string | null): GateDecision {
    this.#waiting = false;
    if (configure !== null) this.#codec = configure;
    return { action: "decode", configure };
  }

  /** The decoder failed (and closed): wait for a key frame, then build a new one. */
  failed(): void {
    this.#waiting = true;
    this.#codec = null;
  }
}
