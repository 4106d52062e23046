// The hot path: validate a frame, stamp its sender, deliver it once per wire format.
// Bun/uWS copies the bytes into each receiver's socket natively; JS never loops over receivers
// unless a publish reports a drop, and never copies or re-encodes per receiver.
import type { Server } from "bun";
import {
  assertNever,
  type ClientControlMessage,
  encodeControl,
  FrameKind,
  frameKind,
  isControlText,
  isEncryptedFrame,
  type LayersAnnounce,
  parseClientControl,
  readLayer,
  readSenderId,
  stampSenderId,
  validateFrame,
} from "../../protocol/index.ts";
import type { RoomBus } from "../cluster/room-bus.ts";
import { isStopped } from "../moderation/media-stop.ts";
import type { RoomModeration } from "../moderation/room-moderation.ts";
import type { PeerSocket } from "../peer.ts";
import { FRAME_REFUSALS, Refusals, refuseMessage } from "../refusals.ts";
import type { Room } from "../rooms.ts";
import { isShareSender } from "../screen-shares.ts";
import { stats } from "../stats.ts";
import { AudioFanout, socketBackpressureLimit } from "./audio-fanout.ts";
import { skipForLegacy } from "./encrypted-frames.ts";
import { updateCodecsNeeded } from "./h264/codecs-needed.ts";
import { H264Fanout } from "./h264/h264-fanout.ts";
import { KeyframeRequests } from "./h264/keyframe-requests.ts";
import { fromLegacyText, legacyJpegBytes, toLegacyText } from "./legacy-format.ts";
import { AckPacing } from "./pacing/ack-pacing.ts";
import { layerStats } from "./pacing/layer-metrics.ts";
import { TopicPublisher } from "./topic-publisher.ts";
import { VideoParking } from "./video-parking.ts";

export interface FanoutLimits {
  maxFrameBytes: number;
  backpressureLimitBytes: number;
  ackWindow: number;
}

export class Fanout {
  /** Delivery to receivers that ack (?ack=1): per-sender topics instead of the room topic. */
  readonly pacing: AckPacing;
  /** keyframe_request to H.264 senders, rate-limited per sender and layer. */
  readonly keyframes: KeyframeRequests;
  /** Kind 4 for receivers that decode H.264 and don't ack (acking ones: pacing). */
  readonly h264: H264Fanout;
  /** Audio packets and tracks (kind 3, audio_track), on their own topic. */
  readonly audio: AudioFanout;
  /** Stops video at the video limit for receivers that don't ack, so audio keeps its room. */
  readonly parking: VideoParking;
  /** Publish-then-count on the room's video topics, where video yields to audio. */
  readonly #publisher: TopicPublisher<PeerSocket>;
  /** Set by attach() once the relay listens, before any socket can open. */
  #server!: Server<unknown>;

  constructor(
    private readonly limits: FanoutLimits,
    private readonly bus: RoomBus,
    /** Chat, hands and host controls (relay/moderation/); null: those messages are refused. */
    readonly moderation: RoomModeration | null = null,
  ) {
    const socketLimit = socketBackpressureLimit(limits.backpressureLimitBytes);
    this.keyframes = new KeyframeRequests({
      send: (room, senderId, text) => {
        const sender = room.peers.get(senderId);
        if (!sender || sender.data.legacy) return false;
        sender.send(text);
        return true;
      },
      waiting: (room, senderId, layer) =>
        this.pacing.waitingForKey(room, senderId, layer) ||
        (layer === 0 && this.h264.waiting(room, senderId)),
    });
    this.pacing = new AckPacing(limits, this.keyframes);
    this.h264 = new H264Fanout(socketLimit, limits.backpressureLimitBytes, this.keyframes);
    this.audio = new AudioFanout(socketLimit, limits.backpressureLimitBytes);
    this.#publisher = new TopicPublisher(socketLimit, limits.backpressureLimitBytes);
    this.parking = new VideoParking(limits.backpressureLimitBytes);
  }

  /** Someone joined or left (here or on another relay): senders learn the codecs needed. */
  codecsChanged(room: Room): void {
    updateCodecsNeeded(room, this.bus.remotePeers(room.name));
  }

  /** A sender on another relay left: its streams here go. */
  forgetRemoteSender(room: Room, senderId: number): void {
    this.pacing.forgetSender(room, senderId);
    this.h264.forgetSender(room, senderId);
    this.keyframes.forgetSender(room, senderId);
    room.e2eeNotedSenders.delete(senderId);
  }

  /**
   * The last local participant left `room`: state kept for senders on other relays goes too
   * (their leaves no longer reach us once the room is untracked, and a new Room replaces this one).
   */
  forgetRoom(room: Room): void {
    this.h264.forgetRoom(room);
    this.keyframes.forgetRoom(room);
  }

  /** Sizes of the fan-out's maps and sets and its timers (GET /debug/counts). */
  counts(): Record<string, number> {
    return {
      ...this.pacing.counts(),
      ...this.h264.counts(),
      ...this.keyframes.counts(),
      ...(this.moderation?.counts() ?? {}),
    };
  }

  /** The server whose topics frames go to (Bun creates it when the relay starts listening). */
  attach(server: Server<unknown>): void {
    this.#server = server;
    this.pacing.attach(server);
    this.audio.attach(server);
    this.moderation?.attach(server);
  }

  /** A binary message from a v1 peer: an ack, a frame, or something malformed. */
  onBinary(ws: PeerSocket, message: Buffer): void {
    const room = ws.data.room;
    if (!room) return;
    const kind = frameKind(message);
    // A moderator stopped this medium (relay/moderation/): dropped, whatever the sender does.
    if (
      ws.data.mediaStopped !== 0 &&
      isStopped(ws.data.mediaStopped, kind, ws.data.source === "screen")
    )
      return;
    switch (kind) {
      case FrameKind.Ack:
        this.#onAck(ws, message);
        return;
      case FrameKind.Audio:
        this.#onAudio(ws, room, message);
        return;
      case FrameKind.VideoJpeg:
      case FrameKind.VideoH264:
      case null: // unknown kind: validateFrame says which problem
        break;
      default:
        assertNever(kind);
    }
    const problem = validateFrame(message, this.limits.maxFrameBytes);
    if (problem !== null) {
      refuseMessage(ws, FRAME_REFUSALS[problem]);
      return;
    }
    stampSenderId(message, ws.data.id);
    stats.framesIn++;
    stats.bytesIn += message.byteLength;
    (layerStats.bytesIn[readLayer(message)] as number) += message.byteLength;
    this.#deliver(room, ws, message, null);
  }

  /** A frame stamped by another relay (relay/cluster/): every local receiver, in its format. */
  onRemoteFrame(room: Room, message: Buffer): void {
    if (frameKind(message) !== FrameKind.Audio) this.#deliver(room, null, message, null);
    // A share sends no sound (its relay refuses it): none from another relay either.
    else if (!room.remoteShares.has(readSenderId(message))) this.audio.deliver(room, null, message);
  }

  /** An audio packet (kind 3): checked like a frame (its own size cap), then to the audio topic. */
  #onAudio(ws: PeerSocket, room: Room, message: Buffer): void {
    if (ws.data.source === "screen") {
      refuseMessage(ws, Refusals.shareSendsVideoOnly);
      return;
    }
    const problem = validateFrame(message, this.limits.maxFrameBytes);
    if (problem !== null) {
      refuseMessage(ws, FRAME_REFUSALS[problem]);
      return;
    }
    stampSenderId(message, ws.data.id);
    stats.audioPacketsIn++;
    stats.audioBytesIn += message.byteLength;
    this.audio.deliver(room, ws, message);
    if (room.remoteNodes > 0) this.bus.publishFrame(room, message);
  }

  /** A text message: JSON control from v1 peers, a base64 JPEG from legacy ones. */
  onText(ws: PeerSocket, text: string): void {
    const room = ws.data.room;
    if (!room) return;
    if (isControlText(text)) {
      this.#onControl(ws, text);
      return;
    }
    if (!ws.data.legacy) {
      refuseMessage(ws, Refusals.textOnV1);
      return;
    }
    if (
      ws.data.mediaStopped !== 0 &&
      isStopped(ws.data.mediaStopped, FrameKind.VideoJpeg, ws.data.source === "screen")
    )
      return;
    const jpegBytes = legacyJpegBytes(text);
    if (jpegBytes < 0) {
      refuseMessage(ws, Refusals.legacyNotJpeg);
      return;
    }
    if (jpegBytes > this.limits.maxFrameBytes) {
      refuseMessage(ws, Refusals.frameTooLarge);
      return;
    }
    // Decode only when someone needs the binary form (v1 receivers here or another relay).
    // Rooms of legacy peers only get the cheap checks above (the original relay checked
    // nothing): decoding every frame just to validate it cost +40% relay CPU in
    // `bun bench --scenario base64`.
    let binary: Buffer | null = null;
    if (room.binaryPeers > 0 || room.remoteNodes > 0) {
      binary = fromLegacyText(text, jpegBytes, ws.data.id, ws.data.legacySequence);
      if (binary === null) {
        refuseMessage(ws, Refusals.legacyNotJpeg);
        return;
      }
      ws.data.legacySequence++;
    }
    stats.framesIn++;
    stats.bytesIn += text.length;
    this.#deliver(room, ws, binary, text);
  }

  /**
   * The one delivery path: a validated frame stamped with its sender, to every receiver of the
   * room in its own format, and to other relays. `from` is the local sender (null: the frame
   * came from another relay). `binary` and `text` are the forms at hand; a missing one is made
   * here, once, only if a receiver needs it (binary is null only when none does).
   */
  #deliver(room: Room, from: PeerSocket | null, binary: Buffer | null, text: string | null): void {
    if (
      binary !== null &&
      (from === null
        ? room.remoteShares.size > 0 && isShareSender(room, readSenderId(binary))
        : from.data.source === "screen")
    ) {
      // A screen share, here or on another relay: only the paced lanes of receivers that take
      // shares (relay/screen-shares.ts), never room topics, old clients or clean streams. Other
      // relays get it once, through the bus, and apply the same rule there.
      this.pacing.onFrame(room, from, binary);
      if (from !== null && room.remoteNodes > 0) this.bus.publishFrame(room, binary);
      return;
    }
    const fromLegacy = from?.data.legacy === true;
    if (binary !== null && frameKind(binary) === FrameKind.VideoH264) {
      // H.264: only receivers that declared it, each kept decodable (h264/, pacing/paced-sender.ts).
      this.pacing.onFrame(room, from, binary);
      if (readLayer(binary) === 0) {
        this.h264.onFrame(room, from, this.#server, binary, readSenderId(binary));
      }
      if (from !== null && room.remoteNodes > 0) this.bus.publishFrame(room, binary);
      return;
    }
    if (binary !== null && readLayer(binary) !== 0) {
      // A smaller layer: only for acking receivers that get this layer (relay/delivery/pacing/ack-pacing.ts);
      // room topics and old-protocol receivers get full-size frames only.
      this.pacing.onFrame(room, from, binary);
      if (from !== null && room.remoteNodes > 0) this.bus.publishFrame(room, binary);
      return;
    }
    if (binary !== null) {
      // Acking receivers get it on the sender's own topic (or are held back); the rest here.
      const paced = this.pacing.onFrame(room, from, binary);
      room.videoFrames++;
      // Parked receivers (video-parking.ts) are off the topic for now.
      const parked = room.videoParked - (!fromLegacy && from?.data.videoParked ? 1 : 0);
      const receivers = room.binaryPeers - (from === null || fromLegacy ? 0 : 1) - paced - parked;
      if (receivers > 0) this.#publish(room, from, false, binary, receivers);
      // Other relays with participants here get it once, through the bus.
      if (from !== null && room.remoteNodes > 0) this.bus.publishFrame(room, binary);
    }
    room.legacyFrames++;
    const legacyParked = room.legacyParked - (fromLegacy && from?.data.videoParked ? 1 : 0);
    const legacyReceivers = room.legacyPeers - (fromLegacy ? 1 : 0) - legacyParked;
    // Old clients would show the base64 of ciphertext as a broken JPEG: they get nothing.
    if (legacyReceivers > 0 && text === null && isEncryptedFrame(binary as Buffer)) {
      skipForLegacy(room, from, readSenderId(binary as Buffer), legacyReceivers);
      return;
    }
    if (legacyReceivers > 0) {
      this.#publish(room, from, true, text ?? toLegacyText(binary as Buffer), legacyReceivers);
    }
  }

  /** Publish, then count (topic-publisher.ts): the one way a frame reaches a room topic. */
  #publish(
    room: Room,
    from: PeerSocket | null,
    legacy: boolean,
    data: Buffer | string,
    receivers: number,
  ): void {
    // A sender's own publish skips it; from another format or another relay, the server's.
    const via = from !== null && from.data.legacy === legacy ? from : this.#server;
    const dropped = legacy
      ? this.#publisher.publishVideo(room.legacyReceivers, via, room.legacyTopic, data, from)
      : this.#publisher.publishVideo(room.binaryReceivers, via, room.binaryTopic, data, from);
    const delivered = receivers - dropped;
    stats.framesDropped += dropped;
    stats.framesOut += delivered;
    const bytes = delivered * (typeof data === "string" ? data.length : data.byteLength);
    stats.bytesOut += bytes;
    (layerStats.bytesOut[0] as number) += bytes;
  }

  /** An ack (kind 2): paces this receiver's delivery, never forwarded. */
  #onAck(ws: PeerSocket, message: Buffer): void {
    const problem = this.pacing.onAck(ws, message);
    if (problem === "malformed") refuseMessage(ws, Refusals.ackMalformed);
    else if (problem === "not_enabled") refuseMessage(ws, Refusals.ackNotEnabled);
  }

  /** JSON from a client: each client → relay control type is one case here. */
  #onControl(ws: PeerSocket, text: string): void {
    const message = parseClientControl(text);
    if (message === null) {
      refuseMessage(ws, Refusals.controlUnknown);
      return;
    }
    switch (message.type) {
      case "layers":
        this.#onLayers(ws, message);
        return;
      case "layer_request": {
        const problem = this.pacing.request(ws, message.sender, message.layer);
        if (problem === "not_enabled") refuseMessage(ws, Refusals.layersNotEnabled);
        else if (problem === "too_many") refuseMessage(ws, Refusals.layerRequestsTooMany);
        return;
      }
      case "audio_track":
        if (ws.data.source === "screen") {
          refuseMessage(ws, Refusals.shareSendsVideoOnly);
          return;
        }
        if (!ws.data.canPublish) {
          refuseMessage(ws, Refusals.viewOnly);
          return;
        }
        // Participants on other relays learn it (and each change) from this relay's roster.
        if (this.audio.announce(ws, message) && ws.data.room) this.bus.localUpdated(ws.data.room);
        return;
      case "chat":
      case "hand":
      case "moderate":
      case "recording":
        this.#onRoomControl(ws, message);
        return;
      default:
        assertNever(message);
    }
  }

  /** Chat, hands, moderation and recording: relay/moderation/room-moderation.ts. */
  #onRoomControl(
    ws: PeerSocket,
    message: Extract<ClientControlMessage, { type: "chat" | "hand" | "moderate" | "recording" }>,
  ): void {
    const moderation = this.moderation;
    if (moderation === null) {
      refuseMessage(ws, Refusals.controlUnknown);
      return;
    }
    if (message.type === "chat") moderation.onChat(ws, message);
    else if (message.type === "hand") moderation.onHand(ws, message);
    else if (message.type === "moderate") moderation.onModerate(ws, message);
    else moderation.onRecording(ws, message);
  }

  /** A sender announces its layers: kept for late joiners' welcome, told to everyone here now. */
  #onLayers(ws: PeerSocket, message: LayersAnnounce): void {
    const room = ws.data.room;
    if (!room || ws.data.legacy) return;
    if (!ws.data.canPublish) {
      refuseMessage(ws, Refusals.viewOnly);
      return;
    }
    ws.data.layers = message.layers;
    this.pacing.announce(room, ws.data.id, message.layers.length);
    const text = encodeControl({ type: "layers", id: ws.data.id, layers: message.layers });
    // Every v1 participant is on the presence topic (the room topic carries video only); a
    // share's layers go only to receivers that take shares.
    if (ws.data.source === "screen") this.#server.publish(room.sharePresenceTopic, text);
    else ws.publish(room.presenceTopic, text);
    // Participants on other relays learn it from this relay's roster.
    this.bus.localUpdated(room);
  }
}
