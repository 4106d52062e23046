// client-core's inbound dispatch and ack rule, shared by the CLI and the page, on fake sockets.
import { expect, test } from "bun:test";
import { Acker, isAckable } from "../../client-core/acker.ts";
import { FrameDecryptor } from "../../client-core/frame-decryptor.ts";
import { h264NotYetDecoded, InboundFrames } from "../../client-core/inbound-frames.ts";
import {
  encodeAudioPacket,
  encodeH264Frame,
  encodeVideoFrame,
  FrameFlag,
  FrameKind,
  HEADER_BYTES,
  readSequence,
  type WelcomeMessage,
  writeHeader,
} from "../../protocol/index.ts";

const JPEG = new Uint8Array([0xff, 0xd8, 1, 2, 3]);

function scope(decryptor: FrameDecryptor | null = null) {
  const acked: number[] = [];
  const socket = { send: (bytes: Uint8Array) => acked.push(readSequence(bytes)) };
  const acker = new Acker(() => socket as unknown as WebSocket);
  acker.welcome({ ackWindow: 2 } as WelcomeMessage);
  const routed: string[] = [];
  const problems: string[] = [];
  const undecryptable: string[] = [];
  const inbound = new InboundFrames({
    decryptor,
    acker,
    routes: {
      VideoJpeg: (frame) => routed.push(`video ${readSequence(frame)}`),
      Audio: (packet) => routed.push(`audio ${readSequence(packet)}`),
      VideoH264: (frame) => routed.push(`h264 ${readSequence(frame)}`),
    },
    undecryptable: (_message, senderId, state) => undecryptable.push(`${senderId} ${state}`),
    malformed: (problem) => problems.push(problem),
  });
  inbound.maxFrameBytes = 1000;
  return { acked, routed, problems, undecryptable, inbound };
}

function frame(kind: number, flags: number, sequence: number, payload = 40): Uint8Array {
  const message = new Uint8Array(HEADER_BYTES + payload);
  writeHeader(message, { kind, flags, senderId: 7, captureTimeMs: 1, sequence });
  return message;
}

test("valid frames go to the route of their kind; the route, not the dispatch, acks them", () => {
  const { acked, routed, problems, inbound } = scope();
  inbound.receive(encodeVideoFrame(JPEG, 1, 1, 7));
  inbound.receive(encodeAudioPacket(new Uint8Array([0xf8]), 1, 2, 7));
  expect(routed).toEqual(["video 1", "audio 2"]);
  expect(acked).toEqual([]);
  expect(problems).toEqual([]);
});

test("a malformed video frame is skipped and acked; malformed audio and unknown kinds are not acked", () => {
  const { acked, routed, problems, inbound } = scope();
  inbound.receive(frame(FrameKind.VideoJpeg, 0x0100, 3)); // reserved flag bit
  inbound.receive(frame(FrameKind.VideoJpeg, 0, 4, 2000)); // over the welcome's limit
  inbound.receive(frame(FrameKind.Audio, 0, 5, 1600)); // over one Opus packet
  inbound.receive(frame(9, 0, 6)); // a kind from a newer relay
  inbound.receive(new Uint8Array([1, 1, 0])); // shorter than a header
  expect(routed).toEqual([]);
  expect(problems).toEqual(["bad_flags", "too_large", "too_large", "bad_kind", "too_short"]);
  expect(acked).toEqual([3, 4]);
});

test("an undecryptable video frame is acked, an undecryptable audio packet is not", async () => {
  const { acked, routed, undecryptable, inbound } = scope(new FrameDecryptor(null));
  inbound.receive(frame(FrameKind.VideoJpeg, FrameFlag.Encrypted, 8));
  inbound.receive(frame(FrameKind.Audio, FrameFlag.Encrypted, 9));
  await Bun.sleep(10);
  expect(routed).toEqual([]);
  expect(undecryptable).toEqual(["7 no_key", "7 no_key"]);
  expect(acked).toEqual([8]);
});

test("the ack rule: video frames only, and only after a welcome with an ack window", () => {
  expect(isAckable(encodeVideoFrame(JPEG, 1, 1))).toBe(true);
  expect(isAckable(encodeAudioPacket(new Uint8Array([1]), 1, 1))).toBe(false);
  expect(isAckable(new Uint8Array(HEADER_BYTES - 1))).toBe(false);
  const sent: Uint8Array[] = [];
  const acker = new Acker(
    () => ({ send: (bytes: Uint8Array) => sent.push(bytes) }) as unknown as WebSocket,
  );
  acker.done(encodeVideoFrame(JPEG, 1, 1));
  acker.welcome({} as WelcomeMessage); // a relay that does not pace
  acker.done(encodeVideoFrame(JPEG, 1, 2));
  acker.welcome({ ackWindow: 2 } as WelcomeMessage);
  acker.done(encodeVideoFrame(JPEG, 1, 3));
  acker.reset();
  acker.skipped(encodeVideoFrame(JPEG, 1, 4));
  expect(sent.map(readSequence)).toEqual([3]);
});

test("kind 4 (H.264) is ackable; the clients' not-yet-decoded route acks and drops it", () => {
  const acked: number[] = [];
  const socket = { send: (bytes: Uint8Array) => acked.push(readSequence(bytes)) };
  const acker = new Acker(() => socket as unknown as WebSocket);
  acker.welcome({ ackWindow: 2 } as WelcomeMessage);
  const h264 = encodeH264Frame(new Uint8Array([0, 0, 0, 1, 9, 0xf0]), 1, 11, true);
  expect(isAckable(h264)).toBe(true);
  const inbound = new InboundFrames({
    decryptor: null,
    acker,
    routes: { VideoJpeg: () => {}, Audio: () => {}, VideoH264: h264NotYetDecoded(acker) },
    undecryptable: () => {},
  });
  inbound.receive(h264);
  expect(acked).toEqual([11]);
});
