// Turns getUserMedia failures into one plain sentence. Whatever happens, the page keeps working
// as a viewer, so every message says so.

export type CameraProblem =
  | "denied"
  | "absent"
  | "busy"
  | "insecure"
  | "unsupported"
  | "failed"
  | "stopped";

export interface CameraFailure {
  problem: CameraProblem;
  message: string;
}

const STILL_WATCHING = "You can still watch everyone else.";

const MESSAGES: Record<CameraProblem, string> = {
  denied: `Camera permission was denied. ${STILL_WATCHING} To share, allow the camera for this site in the browser's settings and press Share camera again.`,
  absent: `No camera was found. ${STILL_WATCHING}`,
  busy: `The camera is in use by another app or could not be started. ${STILL_WATCHING}`,
  insecure: `The camera needs a secure page (https:// or localhost). ${STILL_WATCHING}`,
  unsupported: `This browser cannot share a camera. ${STILL_WATCHING}`,
  failed: `The camera could not be started. ${STILL_WATCHING}`,
  stopped: `The camera stopped (unplugged, or its permission was withdrawn). ${STILL_WATCHING}`,
};

/** Classifies a getUserMedia rejection (a DOMException, by name). */
export function describeCameraError(error: unknown): CameraFailure {
  const name =
    error instanceof Error || (typeof error === "object" && error !== null && "name" in error)
      ? String((error as { name: unknown }).name)
      : "";
  const problem: CameraProblem =
    name === "NotAllowedError" || name === "PermissionDeniedError"
      ? "denied"
      : name === "NotFoundError" ||
          name === "DevicesNotFoundError" ||
          name === "OverconstrainedError"
        ? "absent"
        : name === "NotReadableError" || name === "TrackStartError" || name === "AbortError"
          ? "busy"
          : name === "SecurityError"
            ? "insecure"
            : "failed";
  return cameraFailure(problem);
}

export function cameraFailure(problem: CameraProblem): CameraFailure {
  return { problem, message: MESSAGES[problem] };
}
