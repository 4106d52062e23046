// What this browser can do with sound: WebCodecs audio (Opus) and AudioWorklet to hear others,
// plus MediaStreamTrackProcessor to send the microphone. Said plainly when something is missing.

export interface AudioSupport {
  canHear: boolean;
  canSend: boolean;
  /** A sentence for the page when either is false; null when everything works. */
  problem: string | null;
}

export function audioSupport(scope: typeof globalThis = globalThis): AudioSupport {
  const webCodecs =
    "AudioDecoder" in scope && "AudioEncoder" in scope && "EncodedAudioChunk" in scope;
  const worklet = "AudioWorkletNode" in scope && "AudioContext" in scope;
  const trackProcessor = "MediaStreamTrackProcessor" in scope;
  const canHear = webCodecs && worklet;
  const canSend = webCodecs && trackProcessor && Boolean(scope.navigator?.mediaDevices);
  let problem: string | null = null;
  if (scope.isSecureContext === false) {
    // Not the browser's fault: WebCodecs and AudioWorklet exist only on https:// or localhost.
    problem =
      "Sound needs https:// or localhost (see the notice above): video works, sound doesn't.";
  } else if (!canHear) {
    problem =
      "This browser can't play the others' sound (it lacks WebCodecs audio or AudioWorklet): " +
      "video works, sound doesn't. Try a recent Chrome, Edge or Safari.";
  } else if (!canSend) {
    problem =
      "This browser can't send your microphone (it lacks WebCodecs audio encoding): you can hear " +
      "and see the others, they can't hear you.";
  }
  return { canHear, canSend, problem };
}
