import { afterEach, describe, expect, test } from "bun:test";
import { CodecPool, defaultPoolSize } from "../../client/codec-pool.ts";
import { makeJpeg } from "../fixtures/client/jpeg.ts";

let pool: CodecPool | null = null;
afterEach(() => {
  pool?.close();
  pool = null;
});

describe("CodecPool", () => {
  test("size comes from the core count: at least 1, at most 4", () => {
    expect(defaultPoolSize()).toBeGreaterThanOrEqual(1);
    expect(defaultPoolSize()).toBeLessThanOrEqual(4);
  });

  test("base64 encode matches Buffer, decode round-trips, and buffers are transferred", async () => {
    pool = new CodecPool(2);
    const original = makeJpeg(5);
    const expected = Buffer.from(original).toString("base64");
    // Encode a view with headroom in front, as the capture path produces.
    const owned = new Uint8Array(20 + original.byteLength + 100);
    owned.set(original, 20);
    const view = owned.subarray(20, 20 + original.byteLength);
    const text = await pool.encodeBase64(view);
    expect(text).toBe(expected);
    // Transferred, not copied: the main thread's buffer is now detached.
    expect(owned.buffer.byteLength).toBe(0);
    const decoded = await pool.decodeBase64(text as string);
    expect(decoded).toEqual(original);
  });

  test("decoding text that is not base64 rejects with an error", async () => {
    pool = new CodecPool(1);
    await expect(pool.decodeBase64("this is not base64!")).rejects.toThrow();
  });

  test("when the workers fall behind, the oldest waiting job is dropped (queue stays bounded)", async () => {
    pool = new CodecPool(1, 3);
    const big = "QUJD".repeat(2_000_000); // 8 MB of base64: keeps the single worker busy
    const jobs = Array.from(
      { length: 10 },
      () => pool?.decodeBase64(big) as Promise<Uint8Array | null>,
    );
    expect(pool.queued).toBe(3);
    const results = await Promise.all(jobs);
    // Job 0 ran at once; jobs 1-6 were pushed out of the 3-slot queue by newer ones; 7-9 ran.
    expect(results.map((result) => result !== null)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(pool.dropped).toBe(6);
  });
});
