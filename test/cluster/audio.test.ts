// A sender's audio_track across relays sharing a room through a real redis-server (docs/
// PROTOCOL.md, "Audio"; docs/ARCHITECTURE.md, cluster): receivers on another relay get the
// sender's track and each change of it (mute), late joiners there get it replayed right after
// their welcome (on a relay already in the room, and on one that only reads Redis), `?audio=0`
// receivers never do, and once the sender leaves its track is no longer replayed.
import { expect, test } from "bun:test";
import {
  type AudioTrackMessage,
  audioTrackAnnouncement,
  type ControlMessage,
  roomUrl,
} from "../../protocol/index.ts";
import { controlChannel } from "../../relay/cluster/bus-names.ts";
import { MAX_NODE_ID } from "../../relay/cluster/peer-ids.ts";
import { type ClusterRelay, clusterForFile } from "../support/cluster.ts";
import { TestPeer } from "../support/peer.ts";
import { hasRedis } from "../support/redis.ts";

const ROOM = "cluster-audio";
const cluster = clusterForFile(3);
const { relays } = cluster;
const peers = cluster.closeAfter as TestPeer[];

async function join(relay: ClusterRelay, name: string, audio = true) {
  const peer = await TestPeer.joinWith(roomUrl(relay.wsUrl, ROOM, { name, audio }));
  peers.push(peer);
  return peer;
}

const tracksOf = (peer: TestPeer, id: number) =>
  peer.controls.filter((c): c is AudioTrackMessage => c.type === "audio_track" && c.id === id);

/** The audio_track messages a newcomer got right after its welcome (the relay's replay). */
function replayed(peer: TestPeer): ControlMessage[] {
  const welcomeAt = peer.controls.findIndex((c) => c.type === "welcome");
  const after = peer.controls.slice(welcomeAt + 1);
  const end = after.findIndex((c) => c.type !== "audio_track");
  return end === -1 ? after : after.slice(0, end);
}

test.skipIf(!hasRedis)(
  "a sender's audio_track and its mute reach the other relays' receivers, late joiners too",
  async () => {
    const [a, b, c] = relays as [ClusterRelay, ClusterRelay, ClusterRelay];
    const early = await join(b, "early");
    const quiet = await join(b, "quiet", false);
    const sender = await join(a, "sender");
    const other = await join(a, "other");
    const senderId = sender.welcome.id;
    const otherId = other.welcome.id;
    await early.waitForControl("join", (m) => m.peer.id === otherId);

    // Not the default track (mono 48 kHz), so receivers cannot get it right by assuming it.
    const stereo = { ...audioTrackAnnouncement(false, 2), sampleRate: 24_000 };
    sender.ws.send(JSON.stringify(stereo));
    other.ws.send(JSON.stringify(audioTrackAnnouncement()));
    const told = await early.waitForControl("audio_track", (m) => m.id === senderId);
    expect(told).toEqual({ ...stereo, id: senderId });
    // The track comes after the sender's join, so a receiver knows whose track it is.
    const joinAt = early.controls.findIndex((m) => m.type === "join" && m.peer.id === senderId);
    expect(early.controls.indexOf(told)).toBeGreaterThan(joinAt);
    await early.waitForControl("audio_track", (m) => m.id === otherId);

    // A late joiner on the same relay: both remote tracks right after its welcome.
    const late = await join(b, "late");
    await late.waitFor(() => replayed(late).length === 2, "two tracks replayed after the welcome");
    expect(replayed(late)).toContainEqual({ ...stereo, id: senderId });
    expect(replayed(late)).toContainEqual({ ...audioTrackAnnouncement(), id: otherId });

    // Mute crosses as a new announcement, to everyone there.
    const muted = { ...stereo, muted: true };
    sender.ws.send(JSON.stringify(muted));
    for (const peer of [early, late]) {
      await peer.waitForControl("audio_track", (m) => m.id === senderId && m.muted);
      expect(tracksOf(peer, senderId).at(-1)).toEqual({ ...muted, id: senderId });
    }

    // The first participant on a third relay learns the tracks from Redis, before its welcome.
    const fresh = await join(c, "fresh");
    await fresh.waitFor(() => replayed(fresh).length === 2, "two tracks replayed on relay C");
    expect(replayed(fresh)).toContainEqual({ ...muted, id: senderId });

    // Rosters from Redis are untrusted: garbage is ignored, a bad track is dropped (its peer
    // kept), a track's unknown fields never reach receivers, and the relay carries on.
    const forged = [...Array(MAX_NODE_ID).keys()]
      .map((n) => MAX_NODE_ID - n)
      .find((n) => !relays.some((r) => r.node === n)) as number;
    const badId = forged * 2 ** 22 + 1;
    const oddId = forged * 2 ** 22 + 2;
    const channel = controlChannel(ROOM);
    for (const text of ["{", JSON.stringify({ type: "roster", node: forged, peers: 7 })]) {
      expect(await cluster.redis?.command("PUBLISH", channel, text)).toBeGreaterThan(0);
    }
    const forgedRoster = {
      type: "roster",
      node: forged,
      version: Date.now(),
      peers: [
        { id: badId, name: "bad", legacy: false, audio: { codec: "opus", sampleRate: "x" } },
        { id: oddId, name: "odd", legacy: false, audio: { ...stereo, type: "x", html: "<b>" } },
      ],
    };
    await cluster.redis?.command("PUBLISH", channel, JSON.stringify(forgedRoster));
    const odd = await early.waitForControl("audio_track", (m) => m.id === oddId);
    expect(odd).toEqual({ ...stereo, id: oddId });
    await early.waitForControl("join", (m) => m.peer.id === badId);
    expect(tracksOf(early, badId)).toEqual([]);
    // Gone again (an empty roster from it), so the rest of the test sees only real senders.
    const empty = { ...forgedRoster, version: Date.now() + 1, peers: [] };
    await cluster.redis?.command("PUBLISH", channel, JSON.stringify(empty));
    await early.waitForControl("leave", (m) => m.id === oddId);

    // The sender leaves: its track is forgotten there (no longer replayed), the other's stays.
    sender.close();
    await early.waitForControl("leave", (m) => m.id === senderId);
    const later = await join(b, "later");
    await later.waitForControl("audio_track", (m) => m.id === otherId);
    expect(later.welcome.peers.map((p) => p.id)).not.toContain(senderId);
    expect(tracksOf(later, senderId)).toEqual([]);
    expect(replayed(later)).toEqual([{ ...audioTrackAnnouncement(), id: otherId }]);

    // ?audio=0 asked for no sound: it saw the sender come and go, and no track at all.
    await quiet.waitForControl("leave", (m) => m.id === senderId);
    expect(quiet.controls.some((m) => m.type === "audio_track")).toBe(false);
  },
  30_000,
);
