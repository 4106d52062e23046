// Screen sharing's pure parts (docs/PROTOCOL.md and docs/BROWSER.md, "Screen sharing"): the join
// options of a share, who may see a share's presence and frames, how a share's end follows its
// owner, what size and quality a share sends, and how the CLI names a share's stream.
import { describe, expect, test } from "bun:test";
import { asStream } from "../../client/receive/share-streams.ts";
import { jpegSize } from "../../client/send/jpeg-size.ts";
import { screenCaptureArgs } from "../../client/send/screen-sender.ts";
import { makeJpeg } from "../../harness/jpeg-images.ts";
import { CloseCode, type PeerInfo, parseJoinOptions, roomUrl } from "../../protocol/index.ts";
import { newPeer, type PeerSocket } from "../../relay/peer.ts";
import { Room } from "../../relay/rooms.ts";
import {
  linkShare,
  takesFramesOf,
  takesShares,
  unlinkOnClose,
  visiblePeers,
} from "../../relay/screen-shares.ts";
import { h264Bitrate, h264EncoderConfig } from "../../web/send/h264-config.ts";
import { MAX_SCREEN_SIDE, screenCapture, screenLabel } from "../../web/send/screen-settings.ts";

describe("join options", () => {
  test("a share's claim goes into the URL and comes back out", () => {
    const url = roomUrl("ws://relay:8765", "team", { screen: { owner: 7, key: "k3y_-" } });
    expect(url).toContain("source=screen");
    const parsed = parseJoinOptions(url);
    expect(parsed.screen).toEqual({ owner: 7, key: "k3y_-" });
    expect(parsed.badSource).toBe(false);
  });

  test("shares=1 takes effect with ack=1 only", () => {
    expect(parseJoinOptions(roomUrl("ws://r", "a", { ack: true, shares: true })).shares).toBe(true);
    expect(parseJoinOptions("ws://r/v1/rooms/a?shares=1").shares).toBe(false);
  });

  test("a malformed source is refused, not taken for a camera", () => {
    for (const query of [
      "source=screen",
      "source=screen&owner=abc&share=x",
      "source=screen&owner=0&share=x",
      "source=screen&owner=5",
      `source=screen&owner=5&share=${"x".repeat(65)}`,
      "source=window&owner=5&share=x",
    ]) {
      const parsed = parseJoinOptions(`ws://r/v1/rooms/a?${query}`);
      expect(parsed.screen).toBeNull();
      expect(parsed.badSource).toBe(true);
    }
    const camera = parseJoinOptions("ws://r/v1/rooms/a?source=camera");
    expect([camera.screen, camera.badSource]).toEqual([null, false]);
  });
});

/** A fake socket: its peer data, and the close it was given. */
function fakeSocket(
  id: number,
  name: string,
  setup: (peer: PeerSocket["data"]) => void = () => {},
) {
  const data = newPeer(id, name, false, "room");
  setup(data);
  const socket = {
    data,
    closed: null as { code: number; reason: string } | null,
    close(code: number, reason: string) {
      socket.closed = { code, reason };
    },
  };
  return socket as unknown as PeerSocket & { closed: { code: number; reason: string } | null };
}

describe("relay: who sees a share", () => {
  test("an owner with the right key gets its share linked; anything else is refused", () => {
    const room = new Room("room");
    const owner = fakeSocket(1, "ada", (p) => {
      p.acks = true;
      p.shares = true;
    });
    room.peers.set(1, owner);
    const forged = fakeSocket(2, "eve", (p) => {
      p.screenClaim = { owner: 1, key: "wrong" };
    });
    expect(linkShare(forged, room)?.code).toBe("share_refused");
    const unknownOwner = fakeSocket(3, "eve", (p) => {
      p.screenClaim = { owner: 99, key: owner.data.shareKey };
    });
    expect(linkShare(unknownOwner, room)?.close).toBe(CloseCode.ShareRefused);
    const share = fakeSocket(4, "whatever", (p) => {
      p.screenClaim = { owner: 1, key: owner.data.shareKey };
      p.acks = true;
      p.audio = true;
    });
    expect(linkShare(share, room)).toBeNull();
    expect(share.data).toMatchObject({ source: "screen", shareOwner: 1, name: "ada" });
    expect([share.data.acks, share.data.audio]).toEqual([false, false]);
    expect(owner.data.shareSocket).toBe(share);
    room.peers.set(4, share);

    // Frames of the share: to receivers that take shares, never to its owner or to others.
    const viewer = fakeSocket(5, "sam", (p) => {
      p.acks = true;
      p.shares = true;
    });
    const plain = fakeSocket(6, "pat", (p) => {
      p.acks = true;
    });
    expect(takesShares(viewer.data)).toBe(true);
    expect(takesShares(share.data)).toBe(false);
    expect(takesFramesOf(room, 4, viewer.data)).toBe(true);
    expect(takesFramesOf(room, 4, plain.data)).toBe(false);
    expect(takesFramesOf(room, 4, owner.data)).toBe(false);
    // A camera's frames go to everyone.
    expect(takesFramesOf(room, 1, plain.data)).toBe(true);
    const peers: PeerInfo[] = [
      { id: 1, name: "ada", legacy: false },
      { id: 4, name: "ada", legacy: false, source: "screen", owner: 1 },
    ];
    expect(visiblePeers(peers, viewer.data)).toHaveLength(2);
    expect(visiblePeers(peers, plain.data).map((p) => p.id)).toEqual([1]);

    // A second share replaces the first; the owner's leave ends the current one.
    const second = fakeSocket(7, "x", (p) => {
      p.screenClaim = { owner: 1, key: owner.data.shareKey };
    });
    expect(linkShare(second, room)).toBeNull();
    expect(share.closed?.code).toBe(CloseCode.ShareEnded);
    unlinkOnClose(owner, room);
    expect(second.closed).toEqual({ code: CloseCode.ShareEnded, reason: "the sharer left" });
    expect(owner.data.shareSocket).toBeUndefined();
  });

  test("share keys differ per connection", () => {
    expect(newPeer(1, "a", false, "r").shareKey).not.toBe(newPeer(2, "b", false, "r").shareKey);
  });
});

describe("what a share sends", () => {
  test("the surface's own size, scaled down past MAX_SCREEN_SIDE, even sides, 5 fps, one layer", () => {
    expect(screenCapture(1280, 720)).toMatchObject({ width: 1280, height: 720, fps: 5, layers: 1 });
    expect(screenCapture(3840, 2160)).toMatchObject({ width: MAX_SCREEN_SIDE, height: 1080 });
    const odd = screenCapture(1281, 721);
    expect([odd.width % 2, odd.height % 2]).toEqual([0, 0]);
    expect(screenCapture(1280, 720).quality).toBeGreaterThanOrEqual(0.9);
    expect(screenLabel("ana")).toBe("ana's screen");
  });

  test("H.264 for a share gets more bits than a camera of its size", () => {
    const size = { width: 1280, height: 720 };
    expect(h264EncoderConfig(size, 5, false, 2).bitrate).toBe(2 * h264Bitrate(size));
    expect(h264EncoderConfig(size, 5, false).bitrate).toBe(h264Bitrate(size));
  });

  test("the CLI grabs the display with x11grab at 5 fps and reads the size from the JPEG", () => {
    const args = screenCaptureArgs(":99");
    expect(args.join(" ")).toContain("-f x11grab -framerate 5 -i :99");
    expect(jpegSize(makeJpeg(320, 240, 1))).toEqual({ width: 320, height: 240 });
    expect(jpegSize(new Uint8Array([0xff, 0xd8, 0x00]))).toBeNull();
  });

  test("the CLI names a share's stream after its sharer", () => {
    expect(asStream({ id: 4, name: "ada", legacy: false, source: "screen", owner: 1 }).name).toBe(
      "ada-screen",
    );
    expect(asStream({ id: 1, name: "ada", legacy: false }).name).toBe("ada");
  });
});
