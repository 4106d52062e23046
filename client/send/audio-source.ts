// What --audio, --audio-device and --audio-source capture, as ffmpeg input arguments, and how
// ffmpeg encodes it: Opus, 20 ms packets, one Ogg page per packet on pipe:3 (the default 1 s
// pages would add a second of delay). Pure functions, so tests can check them without a mic.

/** `tone`: a continuous sine; `beep`: the sine for 100 ms at the start of every second. */
export type AudioSource =
  | { kind: "device"; backend: "alsa" | "pulse"; name: string }
  | { kind: "tone"; frequency: number; beep: boolean };

/**
 * The file descriptor ffmpeg writes the Ogg Opus stream to: after stdout and the pipes of the
 * smaller video layers (capture-args.ts, layerPipe), i.e. 3 with one layer or none.
 */
export function audioPipeFd(videoLayers: number): number {
  return 2 + Math.max(1, videoLayers);
}

/** Where the recorder's ffmpeg reads the sound (its stdin carries the pictures). */
export const AUDIO_PIPE_FD = 3;
export const AUDIO_BITRATE = "32k";
/** A beep (and, with --source flash, a flash) starts every this many seconds and lasts 0.1 s. */
export const SYNC_PERIOD_SECONDS = 1;
export const SYNC_PULSE_SECONDS = 0.1;

/** `--audio-device` values: `NAME` (ALSA), `alsa:NAME` or `pulse:NAME`. */
export function parseAudioDevice(raw: string): AudioSource {
  const match = /^(alsa|pulse):(.+)$/.exec(raw);
  if (match)
    return { kind: "device", backend: match[1] as "alsa" | "pulse", name: match[2] as string };
  return { kind: "device", backend: "alsa", name: raw };
}

/** ffmpeg input arguments for an audio source (placed after any video input). */
export function audioInputArgs(source: AudioSource): string[] {
  if (source.kind === "device") return ["-f", source.backend, "-i", source.name];
  const sine = `sin(2*PI*${source.frequency}*t)`;
  const expression = source.beep
    ? `if(lt(mod(t\\,${SYNC_PERIOD_SECONDS})\\,${SYNC_PULSE_SECONDS})\\,0.5*${sine}\\,0)`
    : `0.5*${sine}`;
  // -re paces the synthetic source in real time, like the video test pattern.
  return ["-re", "-f", "lavfi", "-i", `aevalsrc=${expression}:s=48000:c=mono`];
}

/** Output arguments: input `index`'s audio as mono 48 kHz Opus in 20 ms Ogg pages on pipe `fd`. */
export function audioOutputArgs(index: number, fd: number): string[] {
  return ["-map", `${index}:a`, "-c:a", "libopus", "-b:a", AUDIO_BITRATE, "-application", "voip"]
    .concat(["-frame_duration", "20", "-ac", "1", "-ar", "48000"])
    .concat(["-page_duration", "20000", "-flush_packets", "1", "-f", "ogg", `pipe:${fd}`]);
}

export function describeAudioSource(source: AudioSource): string {
  if (source.kind === "device") return `${source.backend} input '${source.name}'`;
  return `a ${source.frequency} Hz ${source.beep ? "beep each second" : "test tone"}`;
}
