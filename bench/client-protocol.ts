// Messages between the bench (parent) and its load-client processes, over Bun's IPC channel.

export interface ParticipantSpec {
  /** Bench-wide index; publishers are 0..publisherCount-1, so it is also the publisher index. */
  index: number;
  name: string;
  /** Full WebSocket URL: a /v1 room URL, or the relay's "/" for the old text protocol. */
  url: string;
  legacy: boolean;
  publishes: boolean;
  /** Joins with ?ack=1 and acks every frame on arrival (bench --acks, framecast only). */
  ack?: boolean;
  /** Room key: publishers seal each frame with it, receivers expect sealed sizes (bench --e2ee). */
  e2eeKey?: string;
  /** Publishes kind 4 (a key frame every 30th) and joins with codecs=h264 (bench --h264). */
  h264?: boolean;
}

export interface SetupMessage {
  type: "setup";
  participants: ParticipantSpec[];
  publisherCount: number;
  /** The frame every publisher sends (JPEG with a blank stamp segment), base64. */
  jpegBase64: string;
}

export interface PhaseMessage {
  type: "phase";
  phase: number;
  /** Epoch ms (performance.timeOrigin + performance.now()) at which publishing starts. */
  startAt: number;
  durationMs: number;
  fps: number;
  /** How long receivers keep counting after the last frame is due. */
  drainMs: number;
}

export type ParentMessage =
  | SetupMessage
  | PhaseMessage
  | { type: "clock" }
  | { type: "quiet" }
  | { type: "stop" };

export interface PhaseReport {
  phase: number;
  /** [publisher index, frames sent]. */
  sent: [number, number][];
  /** [participant index, frames received from this phase]. */
  received: [number, number][];
  bytesReceived: number;
  latenciesMs: number[];
  /** How late each send was against its schedule: the load generator's own health. */
  sendLatenessMs: number[];
  /** Event-loop lag samples taken every 10 ms during the phase. */
  loopLagMs: number[];
  maxBufferedBytes: number;
  /** Frames of the wrong size, unreadable frames, and frames echoed back to their sender. */
  malformed: number;
  echoed: number;
  disconnects: string[];
}

export type ChildMessage =
  | { type: "ready" }
  | { type: "clock"; now: number }
  /** When this client last received any frame: the bench waits for old backlogs to drain. */
  | { type: "quiet"; lastFrameAt: number }
  | { type: "phase-result"; report: PhaseReport }
  | { type: "fatal"; message: string };

/** The bench's clock, shared by every process (agrees across processes to ~0.05 ms). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
