// The client's flags, each with its environment variable and default. One table drives parsing,
// validation messages and `--help`, so they can't drift apart.

export interface FlagSpec {
  name: string;
  type: "string" | "boolean";
  env: string;
  /** Placeholder shown in --help for string flags. */
  value?: string;
  /** Default shown in --help (and applied when neither flag nor env is set). */
  default?: string;
  help: string;
}

export const FLAGS: readonly FlagSpec[] = [
  {
    name: "device",
    type: "string",
    env: "FRAMECAST_DEVICE",
    value: "PATH",
    help: "capture from a V4L2 camera, e.g. /dev/video0",
  },
  {
    name: "source",
    type: "string",
    env: "FRAMECAST_SOURCE",
    value: "test|flash",
    help: "capture a synthetic picture instead of a camera: ffmpeg's testsrc, or black with a white flash each second",
  },
  {
    name: "file",
    type: "string",
    env: "FRAMECAST_FILE",
    value: "PATH",
    help: "send a video file, looped, in real time, resampled to --fps and scaled to --size",
  },
  {
    name: "audio",
    type: "boolean",
    env: "FRAMECAST_AUDIO",
    help: "also send sound from the default input (ALSA 'default'), as 20 ms Opus packets",
  },
  {
    name: "audio-device",
    type: "string",
    env: "FRAMECAST_AUDIO_DEVICE",
    value: "NAME",
    help: "send sound from this input as ffmpeg names it: hw:1,0 or alsa:NAME or pulse:NAME",
  },
  {
    name: "audio-source",
    type: "string",
    env: "FRAMECAST_AUDIO_SOURCE",
    value: "test|beep",
    help: "send a synthetic sound instead: a steady tone, or a beep each second (with --source flash: in step with the flashes)",
  },
  {
    name: "tone",
    type: "string",
    env: "FRAMECAST_TONE",
    value: "HZ",
    default: "440",
    help: "frequency of --audio-source test/beep, 20-20000",
  },
  {
    name: "relay",
    type: "string",
    env: "FRAMECAST_RELAY",
    value: "URL",
    default: "ws://127.0.0.1:8765",
    help: "relay URL: ws(s)://HOST:PORT, a room's ws(s)://HOST:PORT/v1/rooms/ROOM, or a join link",
  },
  {
    name: "token",
    type: "string",
    env: "FRAMECAST_TOKEN",
    value: "TOKEN",
    help: "join token for a relay that requires one (from `npm run relay -- token`)",
  },
  {
    name: "ca",
    type: "string",
    env: "FRAMECAST_CA",
    value: "FILE",
    help: "PEM CA certificate to trust for wss:// (e.g. a self-signed relay)",
  },
  {
    name: "e2ee-key",
    type: "string",
    env: "FRAMECAST_E2EE_KEY",
    value: "KEY|LINK",
    help: "end-to-end encrypt: the room key (22 characters) or the room link with #key=... (its relay and room apply unless --relay is given)",
  },
  {
    name: "e2ee-new-key",
    type: "boolean",
    env: "FRAMECAST_E2EE_NEW_KEY",
    help: "end-to-end encrypt with a fresh room key; prints the key and the room link to share",
  },
  {
    name: "room",
    type: "string",
    env: "FRAMECAST_ROOM",
    value: "NAME",
    default: "lobby",
    help: "room to join: 1-64 of A-Z a-z 0-9 _ -",
  },
  {
    name: "name",
    type: "string",
    env: "FRAMECAST_NAME",
    value: "NAME",
    default: "your user name (guest@HOSTNAME without one)",
    help: "display name the others see",
  },
  {
    name: "fps",
    type: "string",
    env: "FRAMECAST_FPS",
    value: "N",
    default: "15",
    help: "frames per second to capture, 1-60",
  },
  {
    name: "size",
    type: "string",
    env: "FRAMECAST_SIZE",
    value: "WxH",
    default: "640x480",
    help: "capture size, e.g. 320x240 (even numbers, 16-4096)",
  },
  {
    name: "layers",
    type: "string",
    env: "FRAMECAST_LAYERS",
    value: "WxH,...",
    default: "the --size and a quarter of each side",
    help: "sizes to send, largest first (1-3), e.g. 640x480,320x240,160x120",
  },
  {
    name: "max-size",
    type: "string",
    env: "FRAMECAST_MAX_SIZE",
    value: "WxH",
    help: "receive each sender's largest size that fits in WxH (default: full size while the link keeps up)",
  },
  {
    name: "codec",
    type: "string",
    env: "FRAMECAST_CODEC",
    value: "h264|jpeg",
    default: "h264 where ffmpeg has libx264, else jpeg",
    help: "video to send: H.264 (libx264, a key frame every second; JPEG too while a receiver can't decode H.264) or JPEG alone",
  },
  {
    name: "quality",
    type: "string",
    env: "FRAMECAST_QUALITY",
    value: "Q",
    default: "5",
    help: "JPEG quality for ffmpeg -q:v, 2 (best) to 31 (smallest)",
  },
  {
    name: "wire",
    type: "string",
    env: "FRAMECAST_WIRE",
    value: "binary|base64",
    default: "binary",
    help: "binary: protocol v1 rooms; base64: the original text protocol at path /",
  },
  {
    name: "view",
    type: "boolean",
    env: "FRAMECAST_VIEW",
    help: "show each other participant in its own ffplay window and play their sound",
  },
  {
    name: "record",
    type: "string",
    env: "FRAMECAST_RECORD",
    value: "DIR",
    help: "write each other participant to DIR/<name>-<id>.mkv (their H.264 or MJPEG as sent, and their Opus sound, in Matroska); a screen share to its own DIR/<name>-screen-<id>.mkv",
  },
  {
    name: "chat",
    type: "boolean",
    env: "FRAMECAST_CHAT",
    help: "send each line typed on stdin to the room's chat (on by itself when stdin is a terminal); chat lines print on stderr",
  },
  {
    name: "screen",
    type: "string",
    env: "FRAMECAST_SCREEN",
    value: "DISPLAY",
    help: "also share X display DISPLAY (e.g. :0, or :99 under Xvfb) as your screen: ffmpeg x11grab, 5 fps, full size, on a second connection",
  },
  {
    name: "no-send",
    type: "boolean",
    env: "FRAMECAST_NO_SEND",
    help: "only receive: no capture, no source needed",
  },
  {
    name: "no-audio",
    type: "boolean",
    env: "FRAMECAST_NO_AUDIO",
    help: "receive without sound: the relay sends you no audio (--view plays none, --record records none)",
  },
  {
    name: "no-ack",
    type: "boolean",
    env: "FRAMECAST_NO_ACK",
    help: "don't ack received frames (the relay then can't pace what it sends you to what you can take)",
  },
  {
    name: "ffmpeg",
    type: "string",
    env: "FFMPEG_PATH",
    value: "PATH",
    default: "ffmpeg on PATH, then @ffmpeg-installer/ffmpeg",
    help: "ffmpeg binary to use",
  },
  {
    name: "ffplay",
    type: "string",
    env: "FFPLAY_PATH",
    value: "PATH",
    default: "ffplay next to ffmpeg, then on PATH",
    help: "ffplay binary for --view",
  },
  { name: "help", type: "boolean", env: "", help: "show this help and exit" },
  { name: "version", type: "boolean", env: "", help: "print the version and exit" },
];

export function helpText(): string {
  const lines = [
    "framecast client: send your camera to a framecast room and receive everyone else's.",
    "",
    "Usage: npm run client -- (--device PATH | --source test|flash | --file PATH | --no-send) [--audio ...] [options]",
    "       npm run client -- keygen    print a fresh room key for --e2ee-key",
    "       (with Bun installed: bun run client ...)",
    "",
    "Options (a flag wins over its environment variable):",
  ];
  for (const flag of FLAGS) {
    const left = `  --${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
    lines.push(`${left.padEnd(30)}${flag.help}`);
    const extras: string[] = [];
    if (flag.env) extras.push(`env ${flag.env}${flag.type === "boolean" ? "=1" : ""}`);
    if (flag.default) extras.push(`default: ${flag.default}`);
    if (extras.length > 0) lines.push(`${"".padEnd(30)}(${extras.join("; ")})`);
  }
  lines.push(
    "",
    "Without --view or --record, a live status line per participant shows fps, kB/s,",
    "latency from the capture timestamp and dropped frames. Ctrl-C leaves cleanly.",
    "",
    "End-to-end encryption: everyone in the room uses the same key (--e2ee-key, or the #key=",
    "of the page's room link); the relay forwards frames it cannot read. Prefer the environment",
    "variable to the flag on shared machines: other users can read command lines.",
    "",
    "Examples:",
    "  npm run client -- --device /dev/video0 --relay ws://relay.example.org:8765 --room team --view",
    "  npm run client -- --source test --relay ws://relay.example.org:8765/v1/rooms/team",
    "  npm run client -- --source test --size 320x240 --fps 10 --record ./recordings",
    "  npm run client -- --source test --wire base64 --relay ws://127.0.0.1:8765/",
    "  npm run client -- --device /dev/video0 --audio --view   # camera, microphone, hear everyone",
    "  npm run client -- --source flash --audio-source beep --tone 1000   # A/V sync test signal",
    "  npm run client -- --source test --e2ee-key 'http://relay.example.org:8765/r/team#key=...'",
  );
  return `${lines.join("\n")}\n`;
}
