// Which camera to use: the cameras the browser lists (enumerateDevices) in every camera <select>
// of the page (before joining and in the call), kept in step. Browsers hide camera names until
// the page may use a camera, so the list is read again once one opens.

export class CameraChoice {
  readonly #selects: HTMLSelectElement[];
  readonly #onChange: (deviceId: string | null) => void;
  #deviceId: string | null;

  constructor(
    selects: HTMLSelectElement[],
    remembered: string | null,
    onChange: (deviceId: string | null) => void,
  ) {
    this.#selects = selects;
    this.#deviceId = remembered;
    this.#onChange = onChange;
    for (const select of selects) {
      select.addEventListener("change", () => {
        this.#deviceId = select.value || null;
        for (const other of this.#selects) other.value = select.value;
        this.#onChange(this.#deviceId);
      });
    }
    navigator.mediaDevices?.addEventListener?.("devicechange", () => void this.refresh());
  }

  /** The chosen camera, or null for the browser's default. */
  get deviceId(): string | null {
    return this.#deviceId;
  }

  /** Reads the camera list again (after a camera opened, names become visible). */
  async refresh(): Promise<void> {
    let cameras: MediaDeviceInfo[] = [];
    try {
      const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
      cameras = devices.filter((device) => device.kind === "videoinput");
    } catch {
      // No permission to list, or no mediaDevices (insecure page): only the default remains.
    }
    const options = cameras
      .filter((camera) => camera.deviceId !== "")
      .map((camera, i) => ({ value: camera.deviceId, label: camera.label || `Camera ${i + 1}` }));
    if (this.#deviceId && !options.some((option) => option.value === this.#deviceId)) {
      this.#deviceId = null; // unplugged since last time
    }
    for (const select of this.#selects) {
      select.replaceChildren(
        new Option(cameras.length === 0 ? "no camera found" : "default camera", ""),
        ...options.map((option) => new Option(option.label, option.value)),
      );
      select.value = this.#deviceId ?? "";
      select.dataset.cameras = String(cameras.length);
    }
  }
}
