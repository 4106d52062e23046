// The browser client's entry point (bundled by the relay with Bun.build): the join form, the room
// controls, and one RoomSession per join.
import { cleanName, isValidRoomName } from "../protocol/index.ts";
import { setUpCaptureControls } from "./capture-controls.ts";
import { byId } from "./dom.ts";
import { relayBaseUrl, roomFromPath, roomPagePath } from "./page-url.ts";
import { RoomSession } from "./room-session.ts";
import { loadSettings, saveSettings } from "./settings.ts";

const ui = {
  app: byId("app", HTMLElement),
  status: byId("status", HTMLElement),
  where: byId("where", HTMLElement),
  joinForm: byId("join-form", HTMLFormElement),
  roomInput: byId("room-input", HTMLInputElement),
  nameInput: byId("name-input", HTMLInputElement),
  roomControls: byId("room-controls", HTMLElement),
  shareButton: byId("share-button", HTMLButtonElement),
  leaveButton: byId("leave-button", HTMLButtonElement),
  roomLink: byId("room-link", HTMLAnchorElement),
  sizeSelect: byId("size-select", HTMLSelectElement),
  fpsSelect: byId("fps-select", HTMLSelectElement),
  qualityInput: byId("quality-input", HTMLInputElement),
  relayNotice: byId("relay-notice", HTMLElement),
  cameraNotice: byId("camera-notice", HTMLElement),
  tiles: byId("tiles", HTMLElement),
  alone: byId("alone", HTMLElement),
};

const settings = loadSettings();
// A room link (/r/ROOM) beats the remembered room.
settings.room = roomFromPath(location.pathname) ?? settings.room;
ui.roomInput.value = settings.room;
ui.nameInput.value = settings.name;
let session: RoomSession | null = null;
let rejoinOnShow = false;

setUpCaptureControls(
  {
    size: ui.sizeSelect,
    fps: ui.fpsSelect,
    quality: ui.qualityInput,
    layers: document.getElementById("layers-select") as HTMLSelectElement | null,
  },
  settings.capture,
  (capture) => {
    settings.capture = capture;
    saveSettings(settings);
    session?.setCapture(capture);
  },
);

function join(room: string, name: string): void {
  settings.room = room;
  settings.name = name;
  saveSettings(settings);
  const path = roomPagePath(room);
  if (location.pathname !== path) history.pushState(null, "", path);
  ui.roomLink.href = path;
  ui.roomLink.textContent = new URL(path, location.href).toString();
  ui.joinForm.hidden = true;
  ui.roomControls.hidden = false;
  ui.app.dataset.joined = "true";
  document.title = `${room} · framecast`;
  session = new RoomSession(ui, {
    relayBaseUrl: relayBaseUrl(location.href),
    room,
    name,
    capture: settings.capture,
  });
  session.start();
}

function leave(): void {
  session?.leave();
  session = null;
  ui.joinForm.hidden = false;
  ui.roomControls.hidden = true;
  ui.app.dataset.joined = "false";
  delete ui.app.dataset.selfId;
  document.title = "framecast";
}

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = ui.roomInput.value.trim();
  if (!isValidRoomName(room)) {
    ui.roomInput.setCustomValidity("Use 1 to 64 letters, digits, _ or -");
    ui.roomInput.reportValidity();
    return;
  }
  join(room, cleanName(ui.nameInput.value, ""));
});
ui.roomInput.addEventListener("input", () => ui.roomInput.setCustomValidity(""));
ui.shareButton.addEventListener("click", () => void session?.toggleCamera());
ui.leaveButton.addEventListener("click", () => leave());
// Leaving the page closes the socket with 1000 rather than letting the relay time it out; coming
// back through the back/forward cache joins again.
globalThis.addEventListener("pagehide", () => {
  if (session) leave();
  else return;
  rejoinOnShow = true;
});
globalThis.addEventListener("pageshow", (event: PageTransitionEvent) => {
  if (!event.persisted || !rejoinOnShow) return;
  rejoinOnShow = false;
  join(settings.room, settings.name);
});
