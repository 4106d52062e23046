// The reconnect policy both clients share (client-core/reconnect-policy.ts), on a fake clock.
import { expect, test } from "bun:test";
import { HEALTHY_MS, ReconnectPolicy } from "../../client-core/reconnect-policy.ts";

test("backoff grows while connections fail or die young, and starts afresh after a healthy one", () => {
  let now = 0;
  // random() = 1: each delay is its full step, so the doubling is visible.
  const policy = new ReconnectPolicy({ initialMs: 500, maxMs: 15_000, random: () => 1 }, () => now);
  expect(policy.nextDelay()).toBe(500); // never up
  expect(policy.nextDelay()).toBe(1000);
  policy.up();
  now += HEALTHY_MS - 1; // up, but not for long
  expect(policy.nextDelay()).toBe(2000);
  policy.up();
  now += HEALTHY_MS; // a healthy connection
  expect(policy.nextDelay()).toBe(500);
  expect(policy.nextDelay()).toBe(1000); // "up" is used once: a failed retry keeps growing
  for (let i = 0; i < 10; i++) policy.nextDelay();
  expect(policy.nextDelay()).toBe(15_000);
});
