// Ogg encapsulation of Opus (RFC 7845), both ways, as pure code: the reader splits ffmpeg's Ogg
// output into Opus packets for the wire; the writer wraps received packets into an Ogg stream
// that ffmpeg/ffplay read (recorder, viewer). One packet per page keeps delay at one packet.

const CAPTURE_PATTERN = [0x4f, 0x67, 0x67, 0x53]; // "OggS"
const PAGE_HEADER_BYTES = 27;
const FLAG_CONTINUED = 0x01;
const FLAG_FIRST = 0x02;
/** Opus granule positions count 48 kHz samples whatever the input rate (RFC 7845 §4). */
export const OPUS_GRANULE_RATE = 48_000;
export const OGG_GRANULES_PER_MS = OPUS_GRANULE_RATE / 1000;

export interface OpusPacket {
  data: Uint8Array;
  /** Granule position of the page that ended this packet: 48 kHz samples up to its end. */
  granule: number;
}

/** Reads the pre-skip from an OpusHead packet, or null when it is not one. */
export function readOpusHead(packet: Uint8Array): { channels: number; preSkip: number } | null {
  if (packet.byteLength < 19 || new TextDecoder().decode(packet.subarray(0, 8)) !== "OpusHead") {
    return null;
  }
  return {
    channels: packet[9] as number,
    preSkip: (packet[10] as number) | ((packet[11] as number) << 8),
  };
}

function isTags(packet: Uint8Array): boolean {
  return packet.byteLength >= 8 && new TextDecoder().decode(packet.subarray(0, 8)) === "OpusTags";
}

/** Splits an Ogg Opus byte stream, pushed in chunks of any size, into audio packets. */
export class OggOpusReader {
  #buffer: Uint8Array = new Uint8Array(0);
  #partial: Uint8Array[] = [];
  /** From OpusHead (null until seen). */
  head: { channels: number; preSkip: number } | null = null;
  /** Bytes skipped while looking for a page start (garbage, or a stream that is not Ogg). */
  skippedBytes = 0;

  constructor(private readonly onPacket: (packet: OpusPacket) => void) {}

  push(chunk: Uint8Array): void {
    this.#buffer = this.#buffer.byteLength === 0 ? chunk.slice() : concat([this.#buffer, chunk]);
    let offset = 0;
    for (;;) {
      const start = this.#findPage(offset);
      if (start < 0) {
        // Keep the last 3 bytes: they may be the start of "OggS".
        const keep = Math.max(offset, this.#buffer.byteLength - 3);
        this.skippedBytes += keep - offset;
        offset = keep;
        break;
      }
      this.skippedBytes += start - offset;
      const used = this.#readPage(start);
      if (used === 0) {
        offset = start;
        break;
      }
      offset = start + used;
    }
    this.#buffer = this.#buffer.subarray(offset);
  }

  #findPage(from: number): number {
    const bytes = this.#buffer;
    for (let i = from; i + 4 <= bytes.byteLength; i++) {
      if (
        bytes[i] === CAPTURE_PATTERN[0] &&
        bytes[i + 1] === CAPTURE_PATTERN[1] &&
        bytes[i + 2] === CAPTURE_PATTERN[2] &&
        bytes[i + 3] === CAPTURE_PATTERN[3]
      ) {
        return i;
      }
    }
    return -1;
  }

  /** Parses the page at `start`; returns its length, or 0 when it is not complete yet. */
  #readPage(start: number): number {
    const bytes = this.#buffer;
    if (bytes.byteLength - start < PAGE_HEADER_BYTES) return 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset + start);
    const flags = view.getUint8(5);
    const granule = Number(view.getBigInt64(6, true));
    const segments = view.getUint8(26);
    const headerBytes = PAGE_HEADER_BYTES + segments;
    if (bytes.byteLength - start < headerBytes) return 0;
    let bodyBytes = 0;
    for (let i = 0; i < segments; i++) bodyBytes += bytes[start + PAGE_HEADER_BYTES + i] as number;
    if (bytes.byteLength - start < headerBytes + bodyBytes) return 0;
    if ((flags & FLAG_CONTINUED) === 0) this.#partial = [];
    let at = start + headerBytes;
    let packetStart = at;
    for (let i = 0; i < segments; i++) {
      const lace = bytes[start + PAGE_HEADER_BYTES + i] as number;
      at += lace;
      if (lace < 255) {
        this.#partial.push(bytes.slice(packetStart, at));
        this.#packet(concat(this.#partial), granule);
        this.#partial = [];
        packetStart = at;
      }
    }
    if (packetStart < at) this.#partial.push(bytes.slice(packetStart, at));
    return headerBytes + bodyBytes;
  }

  #packet(data: Uint8Array, granule: number): void {
    if (this.head === null) {
      this.head = readOpusHead(data);
      return; // OpusHead (or a stream we don't know: nothing is sent until a head is seen)
    }
    if (isTags(data)) return;
    this.onPacket({ data, granule });
  }
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  if (parts.length === 1) return (parts[0] as Uint8Array).slice();
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, initial 0) over a page with its CRC field 0. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ (bytes[i] as number)) & 0xff] as number)) >>> 0;
  }
  return crc;
}

/** Builds Ogg pages of one Opus stream: the two header pages, then one page per packet. */
export class OggOpusWriter {
  readonly #serial: number;
  #pageSequence = 0;

  constructor(serial = 1) {
    this.#serial = serial >>> 0;
  }

  /** OpusHead and OpusTags pages, to write before any packet. */
  header(channels: number, inputSampleRate: number): Uint8Array<ArrayBuffer> {
    const head = new Uint8Array(19);
    head.set(new TextEncoder().encode("OpusHead"), 0);
    const view = new DataView(head.buffer);
    view.setUint8(8, 1); // version
    view.setUint8(9, channels);
    view.setUint16(10, 0, true); // pre-skip: packets come from the middle of a live stream
    view.setUint32(12, inputSampleRate, true);
    view.setInt16(16, 0, true); // output gain
    view.setUint8(18, 0); // mapping family 0: mono or stereo
    const vendor = new TextEncoder().encode("framecast");
    const tags = new Uint8Array(8 + 4 + vendor.byteLength + 4);
    tags.set(new TextEncoder().encode("OpusTags"), 0);
    new DataView(tags.buffer).setUint32(8, vendor.byteLength, true);
    tags.set(vendor, 12);
    return concat([this.#page(head, 0, FLAG_FIRST), this.#page(tags, 0, 0)]);
  }

  /** One page holding one packet; `granule` = 48 kHz samples up to the end of this packet. */
  packet(data: Uint8Array, granule: number): Uint8Array<ArrayBuffer> {
    return this.#page(data, granule, 0);
  }

  #page(data: Uint8Array, granule: number, flags: number): Uint8Array<ArrayBuffer> {
    const laces = Math.floor(data.byteLength / 255) + 1;
    if (laces > 255) throw new Error("Opus packet too large for one Ogg page");
    const page = new Uint8Array(PAGE_HEADER_BYTES + laces + data.byteLength);
    const view = new DataView(page.buffer);
    page.set(CAPTURE_PATTERN, 0);
    view.setUint8(4, 0);
    view.setUint8(5, flags);
    view.setBigInt64(6, BigInt(Math.round(granule)), true);
    view.setUint32(14, this.#serial, true);
    view.setUint32(18, this.#pageSequence++, true);
    view.setUint8(26, laces);
    for (let i = 0; i < laces - 1; i++) page[PAGE_HEADER_BYTES + i] = 255;
    page[PAGE_HEADER_BYTES + laces - 1] = data.byteLength % 255;
    page.set(data, PAGE_HEADER_BYTES + laces);
    view.setUint32(22, oggCrc(page), true);
    return page;
  }
}
