// The browser client's entry point (bundled by the relay with Bun.build): the join form with its
// camera choice and preview, the room controls, and one RoomSession per join.
import { cleanName, isValidRoomName } from "../protocol/index.ts";
import { keepButtonIcons } from "./controls/bar-buttons.ts";
import { SettingsPanel } from "./controls/settings-panel.ts";
import { byId } from "./dom.ts";
import { tokenFromPage } from "./links/join-link.ts";
import { pageBasePath, relayBaseUrl, roomFromPath, roomPagePath } from "./links/page-url.ts";
import { RoomLink } from "./links/room-link.ts";
import { CallLayout } from "./room/call-layout.ts";
import { ParticipantList } from "./room/participant-list.ts";
import { canEncrypt, chooseKey, fragmentFor, importKey } from "./room/room-encryption.ts";
import { RoomSession } from "./room/room-session.ts";
import { secureContextNotice, showSecureContextNotice } from "./secure-context.ts";
import { closeCamera, openCamera } from "./send/camera.ts";
import { CameraChoice } from "./send/camera-choice.ts";
import { setUpCaptureControls } from "./send/capture-controls.ts";
import { forcedCodec } from "./send/codec-choice.ts";
import { loadSettings, saveSettings } from "./settings.ts";

const ui = {
  app: byId("app", HTMLElement),
  status: byId("status", HTMLElement),
  where: byId("where", HTMLElement),
  peopleButton: byId("people-button", HTMLButtonElement),
  people: byId("people", HTMLElement),
  joinForm: byId("join-form", HTMLFormElement),
  roomInput: byId("room-input", HTMLInputElement),
  nameInput: byId("name-input", HTMLInputElement),
  e2eeInput: byId("e2ee-input", HTMLInputElement),
  e2eeBadge: byId("e2ee-badge", HTMLElement),
  viewOnlyBadge: byId("view-only-badge", HTMLElement),
  e2eeNotice: byId("e2ee-notice", HTMLElement),
  nameHint: byId("name-hint", HTMLElement),
  cameraSelect: byId("camera-select", HTMLSelectElement),
  previewButton: byId("preview-button", HTMLButtonElement),
  preview: byId("preview", HTMLElement),
  previewVideo: byId("preview-video", HTMLVideoElement),
  previewCaption: byId("preview-caption", HTMLElement),
  roomControls: byId("room-controls", HTMLElement),
  shareButton: byId("share-button", HTMLButtonElement),
  screenButton: byId("screen-button", HTMLButtonElement),
  callCameraSelect: byId("call-camera-select", HTMLSelectElement),
  micButton: byId("mic-button", HTMLButtonElement),
  muteButton: byId("mute-button", HTMLButtonElement),
  audioNotice: byId("audio-notice", HTMLElement),
  leaveButton: byId("leave-button", HTMLButtonElement),
  fullscreenButton: byId("fullscreen-button", HTMLButtonElement),
  invite: byId("invite", HTMLElement),
  roomLink: byId("room-link", HTMLAnchorElement),
  copyLinkButton: byId("copy-link-button", HTMLButtonElement),
  inviteNote: byId("invite-note", HTMLElement),
  sizeSelect: byId("size-select", HTMLSelectElement),
  fpsSelect: byId("fps-select", HTMLSelectElement),
  qualityInput: byId("quality-input", HTMLInputElement),
  qualityValue: byId("quality-value", HTMLOutputElement),
  relayNotice: byId("relay-notice", HTMLElement),
  cameraNotice: byId("camera-notice", HTMLElement),
  tiles: byId("tiles", HTMLElement),
  settingsButton: byId("settings-button", HTMLButtonElement),
  settings: byId("settings", HTMLElement),
  codecSelect: byId("codec-select", HTMLSelectElement),
  alone: byId("alone", HTMLElement),
};

const settings = loadSettings();
const joinLink = tokenFromPage(location.href);
// A room link (/r/ROOM) beats the remembered room; a join link's token fixes the name.
settings.room = roomFromPath(location.pathname) ?? joinLink?.room ?? settings.room;
ui.roomInput.value = settings.room;
ui.nameInput.value = joinLink?.name ?? settings.name;
if (joinLink?.name) {
  ui.nameInput.readOnly = true;
  ui.nameHint.hidden = false;
}
// A link with #key=... is an encrypted room's link: join it encrypted.
ui.e2eeInput.checked = location.hash.includes("key=");
// A view-only link: nothing to preview, the call will not send your camera.
if (joinLink?.viewOnly) {
  ui.previewButton.hidden = true;
  const cameraLabel = ui.cameraSelect.closest("label");
  if (cameraLabel) cameraLabel.hidden = true;
  ui.previewCaption.textContent =
    "Your join link is view only: you watch and listen, you don't send.";
}
if (!canEncrypt()) ui.e2eeInput.title = "needs https:// (or localhost)";
const insecure = secureContextNotice(location, globalThis.isSecureContext);
if (insecure) showSecureContextNotice(byId("secure-notice", HTMLElement), insecure);
let session: RoomSession | null = null;
let rejoinOnShow = false;
let preview: MediaStream | null = null;
keepButtonIcons(ui.roomControls);
const settingsPanel = new SettingsPanel(ui.settingsButton, ui.settings);
const layout = new CallLayout(ui.tiles, ui.roomControls);
ui.codecSelect.value = forcedCodec(location.href) ?? "";
ui.codecSelect.addEventListener("change", () => {
  const value = ui.codecSelect.value;
  session?.setForcedCodec(value === "h264" || value === "jpeg" ? value : null);
});
const participants = new ParticipantList(ui.peopleButton, ui.people);
const roomLink = new RoomLink({
  invite: ui.invite,
  link: ui.roomLink,
  copyButton: ui.copyLinkButton,
  note: ui.inviteNote,
  alone: ui.alone,
});
const cameras = new CameraChoice(
  [ui.cameraSelect, ui.callCameraSelect],
  settings.camera,
  (deviceId) => {
    settings.camera = deviceId;
    saveSettings(settings);
    if (preview) void startPreview();
    void session?.switchCamera();
  },
);
void cameras.refresh();

setUpCaptureControls(
  {
    size: ui.sizeSelect,
    fps: ui.fpsSelect,
    quality: ui.qualityInput,
    layers: document.getElementById("layers-select") as HTMLSelectElement | null,
    qualityValue: ui.qualityValue,
  },
  settings.capture,
  (capture) => {
    settings.capture = capture;
    saveSettings(settings);
    session?.setCapture(capture);
  },
);

/** Shows the chosen camera in the join form, so people see themselves before they join. */
async function startPreview(): Promise<void> {
  stopPreview();
  ui.preview.dataset.camera = "starting";
  ui.previewCaption.textContent = "starting camera…";
  const result = await openCamera(settings.capture, cameras.deviceId);
  if (!result.ok) {
    ui.preview.dataset.camera = result.problem;
    ui.previewCaption.textContent = result.message;
    return;
  }
  preview = result.stream;
  ui.previewVideo.srcObject = result.stream;
  void ui.previewVideo.play().catch(() => {});
  ui.preview.dataset.camera = "on";
  ui.previewCaption.textContent = "You join with this camera on.";
  ui.previewButton.textContent = "Camera off";
  ui.previewButton.setAttribute("aria-pressed", "true");
  await cameras.refresh(); // names are readable now
}

function stopPreview(): void {
  closeCamera(preview);
  preview = null;
  ui.previewVideo.srcObject = null;
  ui.preview.dataset.camera = "off";
  ui.previewCaption.textContent = "Check your camera here before joining, or join without it.";
  ui.previewButton.textContent = "Preview camera";
  ui.previewButton.setAttribute("aria-pressed", "false");
}

async function join(room: string, name: string): Promise<void> {
  const choice = chooseKey(location.hash, ui.e2eeInput.checked);
  if (!choice.ok) {
    ui.e2eeNotice.textContent = choice.message;
    ui.e2eeNotice.hidden = false;
    return;
  }
  ui.e2eeNotice.hidden = true;
  const roomKey = await importKey(choice.key);
  settings.room = room;
  if (!joinLink?.name) settings.name = name;
  saveSettings(settings);
  const path = roomPagePath(room, pageBasePath(location.pathname));
  // The token stays in the address bar (a reload must still get in), never in the shared link.
  // The room key lives in the fragment only: the address bar and the shared link carry it,
  // nothing stores it, and browsers never send it to the relay.
  const fragment = fragmentFor(choice.key);
  if (location.pathname !== path) {
    history.pushState(null, "", `${path}${location.search}${fragment}`);
  } else if (location.hash !== fragment) {
    const here = new URL(location.href);
    here.hash = fragment;
    history.replaceState(null, "", here);
  }
  ui.app.dataset.e2ee = String(choice.key !== null);
  ui.e2eeBadge.hidden = choice.key === null;
  ui.joinForm.hidden = true;
  ui.roomControls.hidden = false;
  ui.peopleButton.hidden = false;
  ui.app.dataset.joined = "true";
  document.title = `${room} · framecast`;
  const base = relayBaseUrl(location.href);
  const shareLink = new URL(path + fragment, location.href).toString();
  void roomLink.offerFor(room, shareLink, base, joinLink !== null);
  session = new RoomSession(ui, {
    relayBaseUrl: base,
    room,
    name,
    capture: settings.capture,
    camera: () => cameras.deviceId,
    layout,
    participants,
    hasToken: joinLink !== null,
    roomKey,
    viewOnly: joinLink?.viewOnly === true,
  });
  // A camera previewed before joining goes straight into the call.
  const stream = preview;
  preview = null;
  ui.previewVideo.srcObject = null;
  stopPreview();
  if (stream) session.shareStream(stream);
  const codec = ui.codecSelect.value;
  session.setForcedCodec(codec === "h264" || codec === "jpeg" ? codec : null);
  session.start();
}

function leave(): void {
  session?.leave();
  session = null;
  participants.close();
  ui.joinForm.hidden = false;
  ui.roomControls.hidden = true;
  settingsPanel.toggle(false);
  ui.peopleButton.hidden = true;
  ui.app.dataset.joined = "false";
  delete ui.app.dataset.selfId;
  delete ui.app.dataset.e2ee;
  ui.e2eeBadge.hidden = true;
  document.title = "framecast";
  if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
}

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = ui.roomInput.value.trim();
  if (!isValidRoomName(room)) {
    ui.roomInput.setCustomValidity("Use 1 to 64 letters, digits, _ or -");
    ui.roomInput.reportValidity();
    return;
  }
  void join(room, cleanName(ui.nameInput.value, ""));
});
ui.roomInput.addEventListener("input", () => ui.roomInput.setCustomValidity(""));
ui.previewButton.addEventListener("click", () => {
  if (preview || ui.preview.dataset.camera === "starting") stopPreview();
  else void startPreview();
});
ui.shareButton.addEventListener("click", () => void session?.toggleCamera());
ui.screenButton.addEventListener("click", () => void session?.toggleScreen());
ui.micButton.addEventListener("click", () => void session?.toggleMicrophone());
ui.muteButton.addEventListener("click", () => session?.toggleMute());
ui.leaveButton.addEventListener("click", () => leave());
ui.fullscreenButton.addEventListener("click", () => {
  const request = document.fullscreenElement
    ? document.exitFullscreen()
    : ui.app.requestFullscreen();
  void request.catch(() => {});
});
document.addEventListener("fullscreenchange", () => {
  const whole = document.fullscreenElement === ui.app;
  ui.fullscreenButton.setAttribute("aria-pressed", String(whole));
  ui.fullscreenButton.textContent = whole ? "Exit full screen" : "Full screen";
});
// Leaving the page closes the socket with 1000 rather than letting the relay time it out; coming
// back through the back/forward cache joins again.
globalThis.addEventListener("pagehide", () => {
  stopPreview();
  if (session) leave();
  else return;
  rejoinOnShow = true;
});
globalThis.addEventListener("pageshow", (event: PageTransitionEvent) => {
  if (!event.persisted || !rejoinOnShow) return;
  rejoinOnShow = false;
  void join(settings.room, settings.name);
});
