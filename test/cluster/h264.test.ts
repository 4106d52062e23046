// Kind 4 (H.264) across relays sharing a room through a real redis-server: the other relay
// applies the same rule for its own receivers (a late joiner there starts on a key frame; a
// receiver without codecs=h264 gets none), and a sender learns from the roster which codecs
// the participants on the other relay need (codecs_needed).
import { afterAll, expect, test } from "bun:test";
import { encodeH264Frame, FrameKind, isKeyFrame, readSequence } from "../../protocol/index.ts";
import { AckingPeer } from "../support/acking-peer.ts";
import { type ClusterRelay, clusterForFile, waitUntil } from "../support/cluster.ts";
import { TestPeer } from "../support/peer.ts";
import { hasRedis } from "../support/redis.ts";

const cluster = clusterForFile(2);
const { relays } = cluster;
const sockets = cluster.closeAfter;
let timer: ReturnType<typeof setInterval> | undefined;
afterAll(() => clearInterval(timer));

const room = "cluster-h264";
const until = (check: () => boolean, what: string, timeoutMs: number) =>
  waitUntil(what, check, timeoutMs);
const codecsNeeded = (peer: TestPeer) =>
  peer.controls.filter((c) => c.type === "codecs_needed").at(-1);

test.skipIf(!hasRedis)(
  "H.264 reaches the other relay's receivers that declared it, each starting on a key frame",
  async () => {
    const [a, b] = relays as [ClusterRelay, ClusterRelay];
    const sender = await TestPeer.join(a.wsUrl, room, "sender");
    sockets.push(sender.ws);
    const h264 = await AckingPeer.join(b.wsUrl, room, "h264", "auto", true, false, true);
    sockets.push(h264);
    // The sender learns, through b's roster, that someone there decodes H.264.
    await until(
      () =>
        codecsNeeded(sender)?.type === "codecs_needed" &&
        (codecsNeeded(sender) as { h264: boolean }).h264,
      "codecs_needed with h264",
      5000,
    );
    expect(codecsNeeded(sender)).toMatchObject({ jpeg: false, h264: true });

    let seq = 0;
    const payload = new Uint8Array(2000).fill(9);
    timer = setInterval(() => {
      const n = seq++;
      sender.ws.send(encodeH264Frame(payload, Date.now(), n, n % 15 === 0));
    }, 1000 / 30);
    await h264.waitFor(() => h264.frames.length >= 20, "frames on the other relay", 5000);
    await Bun.sleep(200); // half-way into a GOP
    const late = await AckingPeer.join(b.wsUrl, room, "late", "manual", false, false, true);
    const jpegOnly = await AckingPeer.join(b.wsUrl, room, "jpeg-only", "auto", true);
    sockets.push(late, jpegOnly);
    await until(
      () => (codecsNeeded(sender) as { jpeg?: boolean } | undefined)?.jpeg === true,
      "codecs_needed with jpeg",
      5000,
    );
    await late.waitFor(() => late.frames.length >= 10, "late joiner's frames", 5000);
    const first = late.frames[0] as Uint8Array;
    expect(first[1]).toBe(FrameKind.VideoH264);
    expect(isKeyFrame(first)).toBe(true);
    expect(readSequence(first) % 15).toBe(0);
    // In order from there: nothing it can't decode.
    const seqs = late.sequences;
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] as number) + 1);
    expect(isKeyFrame(h264.frames[0] as Uint8Array)).toBe(true);
    expect(jpegOnly.frames.filter((f) => f[1] === FrameKind.VideoH264)).toEqual([]);
    // The JPEG-only participant leaves: the sender no longer needs JPEG.
    jpegOnly.close();
    await until(
      () => (codecsNeeded(sender) as { jpeg?: boolean } | undefined)?.jpeg === false,
      "codecs_needed without jpeg",
      5000,
    );
  },
  30_000,
);
