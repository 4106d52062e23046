// The size / fps / quality controls: filled from capture-settings.ts, reporting every change.
import {
  type CaptureSettings,
  FPS_CHOICES,
  LAYER_CHOICES,
  parseFps,
  parseLayerCount,
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
  /** How many sizes to send (optional: a page without the control sends the default). */
  layers?: HTMLSelectElement | null;
  /** Shows the slider's value ("70%") as it moves. */
  qualityValue: HTMLOutputElement;
}

/** 0.7 → "70%": JPEG quality as people read it. */
export function qualityText(quality: number): string {
  return `${Math.round(quality * 100)}%`;
}

const LAYER_LABELS: Record<number, string> = {
  1: "full size only",
  2: "full + quarter",
  3: "full + half + quarter",
};

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
  const layers = controls.layers;
  if (layers) {
    layers.replaceChildren(
      ...LAYER_CHOICES.map((count) => new Option(LAYER_LABELS[count], String(count))),
    );
    layers.value = String(initial.layers);
  }
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
      layers: (layers && parseLayerCount(layers.value)) ?? current.layers,
    };
    onChange(current);
  };
  controls.size.addEventListener("change", read);
  controls.fps.addEventListener("change", read);
  controls.quality.addEventListener("change", read);
  layers?.addEventListener("change", read);
}
