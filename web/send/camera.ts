// Opens the camera at about the size and rate the sender will use (the browser may pick close
// values; the sender scales to the exact size anyway).

import { type CameraFailure, cameraFailure, describeCameraError } from "./camera-errors.ts";
import type { CaptureSettings } from "./capture-settings.ts";

export type CameraResult = { ok: true; stream: MediaStream } | ({ ok: false } & CameraFailure);

/** `deviceId`: the camera chosen in the page (camera-choice.ts); null for the browser's default. */
export async function openCamera(
  settings: CaptureSettings,
  deviceId: string | null = null,
): Promise<CameraResult> {
  // mediaDevices only exists on secure pages: a phone opening http://LAN-IP gets a clear reason.
  if (!globalThis.isSecureContext) return { ok: false, ...cameraFailure("insecure") };
  if (typeof navigator.mediaDevices?.getUserMedia !== "function") {
    return { ok: false, ...cameraFailure("unsupported") };
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
        width: { ideal: settings.width },
        height: { ideal: settings.height },
        frameRate: { ideal: settings.fps },
      },
    });
    return { ok: true, stream };
  } catch (error) {
    return { ok: false, ...describeCameraError(error) };
  }
}

export function closeCamera(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
