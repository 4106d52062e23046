// The Ogg Opus reader and writer: against each other, against real ffmpeg output, and the
// writer's pages read back by ffprobe.
import { expect, test } from "bun:test";
import { audioOutputArgs } from "../../client/send/audio-source.ts";
import { OggOpusReader, OggOpusWriter, type OpusPacket } from "../../client/send/ogg-opus.ts";
import { FFMPEG, FFPROBE } from "../../harness/tools.ts";

test("writer pages read back packet for packet, whatever the chunking", () => {
  const writer = new OggOpusWriter(7);
  const packets = [
    new Uint8Array([0xf8, 0xff, 0xfe]),
    new Uint8Array(300).fill(9),
    new Uint8Array(255).fill(3),
  ];
  const stream: number[] = [...writer.header(1, 48000)];
  packets.forEach((packet, i) => {
    stream.push(...writer.packet(packet, (i + 1) * 960));
  });
  for (const chunkSize of [1, 7, 4096]) {
    const got: OpusPacket[] = [];
    const reader = new OggOpusReader((packet) => got.push(packet));
    const bytes = Uint8Array.from(stream);
    for (let i = 0; i < bytes.byteLength; i += chunkSize)
      reader.push(bytes.subarray(i, i + chunkSize));
    expect(reader.head).toEqual({ channels: 1, preSkip: 0 });
    expect(got.map((p) => [...p.data])).toEqual(packets.map((p) => [...p]));
    expect(got.map((p) => p.granule)).toEqual([960, 1920, 2880]);
    expect(reader.skippedBytes).toBe(0);
  }
});

test("garbage before a page is skipped and counted; nothing comes out before a head", () => {
  const got: OpusPacket[] = [];
  const reader = new OggOpusReader((packet) => got.push(packet));
  reader.push(new Uint8Array([1, 2, 3, 4, 5, 0x4f]));
  const writer = new OggOpusWriter();
  writer.header(1, 48000); // pages 0-1 not given to the reader: its first page is a packet
  reader.push(writer.packet(new Uint8Array([1]), 960));
  expect(got).toHaveLength(0);
  expect(reader.skippedBytes).toBe(6); // the "O" was no page start either
});

test("ffmpeg's 20 ms Ogg pages split into one packet per 20 ms, and ffprobe reads our pages", async () => {
  const ffmpeg = FFMPEG;
  const run = Bun.spawn(
    [
      ffmpeg,
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:sample_rate=48000",
      "-t",
      "1",
    ].concat(audioOutputArgs(0, 1)),
    { stdout: "pipe", stderr: "ignore" },
  );
  const bytes = new Uint8Array(await new Response(run.stdout).arrayBuffer());
  await run.exited;
  const got: OpusPacket[] = [];
  const reader = new OggOpusReader((packet) => got.push(packet));
  reader.push(bytes);
  expect(got.length).toBeGreaterThanOrEqual(50);
  expect(got.length).toBeLessThanOrEqual(52);
  // Consecutive packets end 960 samples (20 ms at 48 kHz) apart.
  expect((got[10] as OpusPacket).granule - (got[9] as OpusPacket).granule).toBe(960);

  const writer = new OggOpusWriter();
  const parts = [
    writer.header(1, 48000),
    ...got.map((p, i) => writer.packet(p.data, (i + 1) * 960)),
  ];
  const path = `${process.env.TMPDIR ?? "/tmp"}/framecast-ogg-${process.pid}.ogg`;
  await Bun.write(path, new Blob(parts));
  const probe = Bun.spawn(
    [
      FFPROBE,
      "-v",
      "error",
      "-show_entries",
      "stream=codec_name,channels:format=duration",
      "-of",
      "json",
      path,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const info = JSON.parse(await new Response(probe.stdout).text());
  await probe.exited;
  await Bun.file(path).delete();
  expect(info.streams[0].codec_name).toBe("opus");
  expect(Number(info.format.duration)).toBeCloseTo(got.length * 0.02, 1);
}, 20_000);
