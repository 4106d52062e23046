// The cluster's pure parts, without Redis: sender ids, rosters, presence diffs, flags, backoff.
import { expect, test } from "bun:test";
import { redisUrlProblem } from "../../relay/cluster/cluster-config.ts";
import { ClusterPeerIds, MAX_NODE_ID, nodeOfPeer } from "../../relay/cluster/peer-ids.ts";
import { redisBackoff } from "../../relay/cluster/redis-link.ts";
import { RemotePresence } from "../../relay/cluster/remote-presence.ts";
import {
  decodeRoster,
  encodeRoster,
  type Roster,
  RosterVersions,
} from "../../relay/cluster/roster.ts";
import { ConfigError, parseRelayConfig } from "../../relay/config.ts";

test("peer ids carry the node id in their top 10 bits, stay 32-bit and never 0", () => {
  const top = new ClusterPeerIds(MAX_NODE_ID);
  const first = top.allocate();
  expect(first).toBe(MAX_NODE_ID * 2 ** 22 + 1);
  expect(first).toBeLessThanOrEqual(0xffffffff);
  expect(nodeOfPeer(first)).toBe(MAX_NODE_ID);
  const one = new ClusterPeerIds(1);
  const ids = Array.from({ length: 1000 }, () => one.allocate());
  expect(new Set(ids).size).toBe(1000);
  expect(ids.every((id) => nodeOfPeer(id) === 1 && id > 0)).toBe(true);
  // A lone relay's ids (1, 2, 3... below 2^22) read as node 0: never mistaken for a cluster node.
  expect(nodeOfPeer(42)).toBe(0);
});

test("rosters round-trip; malformed ones and peers of another node are refused", () => {
  const roster: Roster = {
    node: 3,
    version: 17,
    peers: [{ id: 3 * 2 ** 22 + 5, name: "ann", legacy: false }],
  };
  expect(decodeRoster(encodeRoster(roster))).toEqual(roster);
  expect(decodeRoster("not json")).toBeNull();
  expect(decodeRoster(JSON.stringify({ ...roster, type: "other" }))).toBeNull();
  expect(decodeRoster(encodeRoster({ ...roster, node: 0 }))).toBeNull();
  expect(decodeRoster(encodeRoster({ ...roster, node: 4 }))).toBeNull(); // peer id of node 3
  expect(
    decodeRoster(encodeRoster({ ...roster, peers: [{ id: 3 * 2 ** 22 + 1, name: 7 } as never] })),
  ).toBeNull();
  // A peer's layers travel with it; a bad list is dropped, the peer kept.
  const layers = [
    { width: 640, height: 480 },
    { width: 160, height: 120 },
  ];
  const withLayers: Roster = {
    ...roster,
    peers: [{ id: 3 * 2 ** 22 + 5, name: "ann", legacy: false, layers }],
  };
  expect(decodeRoster(encodeRoster(withLayers))).toEqual(withLayers);
  const badLayers = { ...roster, peers: [{ ...roster.peers[0], layers: [{ width: 1 }] }] };
  expect(decodeRoster(encodeRoster(badLayers as Roster))).toEqual(roster);
  // A view-only peer stays marked on the other relays (their pages list it as a viewer); only
  // `true` counts, anything else reads as unmarked.
  const ann = { id: 3 * 2 ** 22 + 5, name: "ann", legacy: false };
  const viewer: Roster = { ...roster, peers: [{ ...ann, viewOnly: true }] };
  expect(decodeRoster(encodeRoster(viewer))).toEqual(viewer);
  const oddMark = { ...roster, peers: [{ ...ann, viewOnly: "yes" }] };
  expect(decodeRoster(encodeRoster(oddMark as never))).toEqual(roster);
  // A peer's audio track travels with it, checked like an announcement: a bad one is dropped.
  const track = { codec: "opus" as const, sampleRate: 48000, channels: 1 as const, muted: true };
  const withTrack: Roster = { ...roster, peers: [{ ...roster.peers[0], audio: track } as never] };
  expect(decodeRoster(encodeRoster(withTrack))).toEqual(withTrack);
  for (const audio of [
    { ...track, codec: "aac" },
    { ...track, sampleRate: 44100 },
    { ...track, channels: 6 },
    { ...track, muted: "yes" },
    "opus",
    null,
    [track],
  ]) {
    const bad = { ...roster, peers: [{ ...roster.peers[0], audio }] };
    expect(decodeRoster(encodeRoster(bad as Roster))).toEqual(roster);
  }
  // Unknown fields in it never travel on to receivers.
  const extra = { ...roster, peers: [{ ...roster.peers[0], audio: { ...track, html: "<b>" } }] };
  expect(decodeRoster(encodeRoster(extra as Roster))).toEqual(withTrack);
  const versions = new RosterVersions();
  const a = versions.next();
  expect(versions.next()).toBeGreaterThan(a);
  expect(a).toBeGreaterThanOrEqual(Date.now() - 1000); // above anything a restart sent before
});

test("remote presence: joins and leaves from roster diffs, newest roster wins, dead nodes leave", () => {
  const id = (node: number, n: number) => node * 2 ** 22 + n;
  const peer = (node: number, n: number) => ({ id: id(node, n), name: `p${n}`, legacy: false });
  const presence = new RemotePresence();
  expect(presence.apply({ node: 2, version: 10, peers: [peer(2, 1)] })).toEqual({
    joined: [peer(2, 1)],
    left: [],
    relayered: [],
    retracked: [],
  });
  expect(presence.remoteNodes).toBe(1);
  // Same roster again (a refresh): nothing to announce.
  expect(presence.apply({ node: 2, version: 11, peers: [peer(2, 1)] })).toBeNull();
  expect(presence.apply({ node: 2, version: 12, peers: [peer(2, 2)] })).toEqual({
    joined: [peer(2, 2)],
    left: [id(2, 1)],
    relayered: [],
    retracked: [],
  });
  // An older roster arriving late changes nothing.
  expect(presence.apply({ node: 2, version: 9, peers: [peer(2, 1)] })).toBeNull();
  presence.apply({ node: 5, version: 1, peers: [peer(5, 1), peer(5, 2)] });
  expect(presence.remoteNodes).toBe(2);
  expect(presence.peers().map((p) => p.id)).toEqual([id(2, 2), id(5, 1), id(5, 2)]);
  // Everyone left node 2: it no longer wants frames, and a stale roster cannot bring it back.
  expect(presence.apply({ node: 2, version: 13, peers: [] })).toEqual({
    joined: [],
    left: [id(2, 2)],
    relayered: [],
    retracked: [],
  });
  expect(presence.remoteNodes).toBe(1);
  expect(presence.apply({ node: 2, version: 12, peers: [peer(2, 2)] })).toBeNull();
  // A peer that announces its layers (docs/PROTOCOL.md, Layers): the change, and only it.
  const layered = { ...peer(5, 1), layers: [{ width: 640, height: 480 }] };
  expect(presence.apply({ node: 5, version: 2, peers: [layered, peer(5, 2)] })).toEqual({
    joined: [],
    left: [],
    relayered: [layered],
    retracked: [],
  });
  expect(presence.apply({ node: 5, version: 3, peers: [layered, peer(5, 2)] })).toBeNull();
  expect(presence.dropNode(5)).toEqual([id(5, 1), id(5, 2)]);
  expect(presence.remoteNodes).toBe(0);
  expect(presence.peers()).toEqual([]);
});

test("remote presence: a sender's audio track, each change of it, never in presence, gone on leave", () => {
  const id = 2 * 2 ** 22 + 1;
  const peer = { id, name: "ann", legacy: false };
  const track = { codec: "opus" as const, sampleRate: 48000, channels: 1 as const, muted: false };
  const presence = new RemotePresence();
  // Joined with its track: a join (without the track) and the track, as an audio_track message.
  expect(presence.apply({ node: 2, version: 1, peers: [{ ...peer, audio: track }] })).toEqual({
    joined: [peer],
    left: [],
    relayered: [],
    retracked: [{ type: "audio_track", id, ...track }],
  });
  expect(presence.peers()).toEqual([peer]);
  expect(presence.audioTracks()).toEqual([{ type: "audio_track", id, ...track }]);
  // A refresh with the same track says nothing; a mute is told.
  expect(presence.apply({ node: 2, version: 2, peers: [{ ...peer, audio: track }] })).toBeNull();
  const muted = { ...track, muted: true };
  expect(presence.apply({ node: 2, version: 3, peers: [{ ...peer, audio: muted }] })).toEqual({
    joined: [],
    left: [],
    relayered: [],
    retracked: [{ type: "audio_track", id, ...muted }],
  });
  expect(presence.audioTracks()).toEqual([{ type: "audio_track", id, ...muted }]);
  // It leaves: its track is forgotten with it.
  expect(presence.apply({ node: 2, version: 4, peers: [] })?.left).toEqual([id]);
  expect(presence.audioTracks()).toEqual([]);
});

test("--redis / REDIS_URL: off by default, checked when given, the flag wins", () => {
  const config = (argv: string[], env: Record<string, string> = {}) => {
    const parsed = parseRelayConfig(argv, env);
    if (typeof parsed === "string") throw new Error(parsed);
    return parsed;
  };
  expect(config([]).redisUrl).toBeNull();
  expect(config(["--redis", "redis://10.0.0.5:6379"]).redisUrl).toBe("redis://10.0.0.5:6379");
  expect(config([], { REDIS_URL: "redis://cache:6379/0" }).redisUrl).toBe("redis://cache:6379/0");
  expect(config(["--redis", "redis://a:1"], { REDIS_URL: "redis://b:2" }).redisUrl).toBe(
    "redis://a:1",
  );
  expect(() => config(["--redis", "http://x:1"])).toThrow(ConfigError);
  expect(() => config(["--redis", "nonsense"])).toThrow(ConfigError);
  expect(redisUrlProblem("rediss://user:pw@host:6380")).toBeNull();
});

test("reconnect backoff doubles from 100 ms and stops growing at 2 s, with jitter", () => {
  for (let i = 0; i < 50; i++) {
    const backoff = redisBackoff();
    const first = backoff.next();
    expect(first).toBeGreaterThanOrEqual(50);
    expect(first).toBeLessThanOrEqual(100);
    for (let attempt = 2; attempt < 30; attempt++) backoff.next();
    const late = backoff.next();
    expect(late).toBeGreaterThanOrEqual(1000);
    expect(late).toBeLessThanOrEqual(2000);
  }
});

test("a share's roster entry keeps source and owner; a bad source or a foreign owner is refused", () => {
  const id = (n: number) => 3 * 2 ** 22 + n;
  const owner = { id: id(1), name: "ada", legacy: false };
  const share = { id: id(2), name: "ada", legacy: false, source: "screen" as const, owner: id(1) };
  const roster: Roster = { node: 3, version: 1, peers: [owner, share] };
  expect(decodeRoster(encodeRoster(roster))).toEqual(roster);
  // Anything that could pass for a camera, seen by everyone, refuses the whole roster.
  for (const bad of [
    { ...share, source: "window" },
    { ...share, owner: undefined },
    { ...share, owner: "1" },
    { ...share, owner: 4 * 2 ** 22 + 1 }, // an owner on another relay
  ]) {
    expect(decodeRoster(encodeRoster({ ...roster, peers: [owner, bad as never] }))).toBeNull();
  }
  const presence = new RemotePresence();
  presence.apply(roster);
  expect([...presence.shareOwners()]).toEqual([[id(2), id(1)]]);
  expect(presence.has(id(2))).toBe(true);
  expect(presence.has(id(3))).toBe(false);
  expect(presence.peers()).toContainEqual(share);
  presence.apply({ node: 3, version: 2, peers: [owner] });
  expect(presence.shareOwners().size).toBe(0);
});
