// The size / fps / quality controls: filled from capture-settings.ts, reporting every change.
import {
  type CaptureSettings,
  FPS_CHOICES,
  parseFps,
  parseQuality,
  parseSize,
  QUALITY_MAX,
  QUALITY_MIN,
  SIZE_CHOICES,
  sizeText,
} from "./capture-settings.ts";

export interface CaptureControlElements {
  size: HTMLSelectElement;
  fps: HTMLSelectElement;
  quality: HTMLInputElement;
  /** Shows the slider's value ("70%") as it moves. */
  qualityValue: HTMLOutputElement;
}

/** 0.7 → "70%": JPEG quality as people read it. */
export function qualityText(quality: number): string {
  return `${Math.round(quality * 100)}%`;
}

export function setUpCaptureControls(
  controls: CaptureControlElements,
  initial: CaptureSettings,
  onChange: (settings: CaptureSettings) => void,
): void {
  controls.size.replaceChildren(...SIZE_CHOICES.map((size) => new Option(size, size)));
  controls.fps.replaceChildren(...FPS_CHOICES.map((fps) => new Option(String(fps), String(fps))));
  controls.quality.min = String(QUALITY_MIN);
  controls.quality.max = String(QUALITY_MAX);
  controls.size.value = sizeText(initial);
  controls.fps.value = String(initial.fps);
  controls.quality.value = String(initial.quality);
  const showQuality = () => {
    controls.qualityValue.value = qualityText(Number(controls.quality.value));
  };
  showQuality();
  controls.quality.addEventListener("input", showQuality);
  let current = initial;
  const read = () => {
    const size = parseSize(controls.size.value);
    current = {
      width: size?.[0] ?? current.width,
      height: size?.[1] ?? current.height,
      fps: parseFps(controls.fps.value) ?? current.fps,
      quality: parseQuality(controls.quality.value) ?? current.quality,
    };
    onChange(current);
  };
  controls.size.addEventListener("change", read);
  controls.fps.addEventListener("change", read);
  controls.quality.addEventListener("change", read);
}
