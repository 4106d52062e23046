// client-core/roster.ts: who else is in the room, for both clients.
import { expect, test } from "bun:test";
import { Roster } from "../../client-core/roster.ts";
import type { WelcomeMessage } from "../../protocol/index.ts";

const welcome = (peers: { id: number; name: string }[]): WelcomeMessage =>
  ({
    type: "welcome",
    id: 7,
    name: "me",
    room: "team",
    peers: peers.map((peer) => ({ ...peer, legacy: false })),
  }) as WelcomeMessage;

test("a welcome starts afresh, with ourselves apart and the others in the order they joined", () => {
  const roster = new Roster();
  roster.join({ id: 99, name: "stale", legacy: false });
  expect(
    roster
      .welcome(
        welcome([
          { id: 2, name: "ann" },
          { id: 3, name: "bob" },
        ]),
      )
      .map((p) => p.name),
  ).toEqual(["ann", "bob"]);
  expect(roster.self).toEqual({ id: 7, name: "me" });
  expect(roster.get(99)).toBeUndefined();
  expect(roster.join({ id: 4, name: "cy", legacy: false })).toBe(true);
  expect(roster.join({ id: 4, name: "cy", legacy: false, viewOnly: true })).toBe(false); // newest entry kept
  expect(roster.get(4)?.viewOnly).toBe(true);
  expect(roster.peers.map((p) => p.id)).toEqual([2, 3, 4]);
});

test("leave, layers, stand-ins for frames that outrun their join, and clear", () => {
  const roster = new Roster();
  roster.welcome(welcome([{ id: 2, name: "ann" }]));
  expect(roster.setLayers(2, [{ width: 640, height: 480 }])?.layers).toEqual([
    { width: 640, height: 480 },
  ]);
  expect(roster.setLayers(5, [{ width: 640, height: 480 }])).toBeUndefined();
  expect(roster.streamOf(5).name).toBe("peer-5");
  expect(roster.leave(2)?.name).toBe("ann");
  expect(roster.leave(2)).toBeUndefined();
  roster.clear();
  expect(roster.self).toBeNull();
  expect(roster.peers).toEqual([]);
});
