// Messages between `bun bench --scenario soak` (bench/soak-scenario.ts) and its churning load
// process (bench/processes/soak-load.ts), over Bun's IPC channel.

/** What each participant of the churning room does (bench/soak-peer.ts). */
export const SOAK_KINDS = [
  "layered-sender", // two layers, sound, acks with ?layers=1
  "sender", // one layer, sound, no acks
  "sealed-sender", // end-to-end encrypted frames, acks
  "legacy-sender", // old protocol: base64 text at "/"
  "acker", // receives with acks
  "layered-receiver", // acks, asks for the small layer of every sender
  "plain-receiver", // receives without acks, no sound
  "legacy-receiver", // old protocol
] as const;
export type SoakKind = (typeof SOAK_KINDS)[number];

export interface SoakSetup {
  type: "setup";
  /** ws:// URLs of the relays; participants are spread over them in turn. */
  relays: string[];
  room: string;
  kinds: SoakKind[];
  fps: number;
  frameBytes: number;
  smallLayerBytes: number;
  /** Room key for sealed senders. */
  e2eeKey: string;
  /** One participant leaves (another of its kind joins) this often. */
  churnEveryMs: number;
}

export type SoakParentMessage = SoakSetup | { type: "sample" } | { type: "stop" };

/** What the room's counted receivers got over one sample interval (by capture time). */
export interface SoakSample {
  /** Frames sent × receivers that should get them (in the room, not joining or leaving). */
  expected: number;
  received: number;
  p50Ms: number | null;
  p99Ms: number | null;
  joins: number;
  leaves: number;
  /** Sockets the relay closed on us (a refusal, a crash): should stay 0. */
  unexpectedCloses: number;
}

export type SoakChildMessage =
  | { type: "ready" }
  | { type: "sample"; sample: SoakSample }
  | { type: "stopped" }
  | { type: "fatal"; message: string };
