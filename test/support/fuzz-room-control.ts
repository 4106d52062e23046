// Hostile chat, hand and moderation messages for the fuzzers: oversized and malformed chat, hands
// of wrong shapes, moderation of forged ids, unknown actions and media, sealed chat that is not
// base64. `int(n)` draws 0..n-1 from the fuzzer's seeded generator; `text(n)` n random characters.
export const ROOM_CONTROL_CASES = [
  "chat_oversized",
  "chat_malformed",
  "hand_malformed",
  "moderate_forged",
] as const;
export type RoomControlCase = (typeof ROOM_CONTROL_CASES)[number];

const ACTIONS = ["mute", "stop", "allow", "remove", "lock", "unlock", "lower_hands", "end", "ban"];
const MEDIA = ["camera", "sound", "screen", "mic", 7, null];

export function roomControlBuilders(
  int: (below: number) => number,
  text: (length: number) => string,
  /** Ids that look real (other peers', maybe in other rooms): forged targets. */
  ids: () => number[] = () => [],
): Record<RoomControlCase, () => string> {
  const anyId = () => {
    const known = ids();
    const pick = int(5);
    if (pick === 0 && known.length > 0) return known[int(known.length)] as number;
    return [0, -1, 2 ** 32, 1.5, int(2 ** 32), "1", null][pick] ?? int(1000);
  };
  return {
    chat_oversized: () =>
      JSON.stringify(
        int(2) === 0
          ? { type: "chat", text: "x".repeat(2001 + int(20_000)) }
          : { type: "chat", sealed: "A".repeat(11_000 + int(20_000)) },
      ),
    chat_malformed: () =>
      [
        () => JSON.stringify({ type: "chat" }),
        () => JSON.stringify({ type: "chat", text: int(100) }),
        () => JSON.stringify({ type: "chat", text: "   " }),
        () => JSON.stringify({ type: "chat", text: "a", sealed: "b" }),
        () => JSON.stringify({ type: "chat", sealed: text(int(100)) }),
        () => JSON.stringify({ type: "chat", text: ["<img src=x onerror=1>"] }),
        () => JSON.stringify({ type: "chat", from: anyId(), name: "forged", text: text(50) }),
        () => `{"type":"chat","text":"${"\\ud800".repeat(int(50))}"`,
      ][int(8)]?.() ?? "{}",
    hand_malformed: () =>
      JSON.stringify({ type: "hand", raised: [1, "yes", null, {}, undefined][int(5)] }),
    moderate_forged: () =>
      JSON.stringify({
        type: "moderate",
        action: ACTIONS[int(ACTIONS.length)],
        target: anyId(),
        media: MEDIA[int(MEDIA.length)],
      }),
  };
}
