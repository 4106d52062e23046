// The recorder's way to hand H.264 to ffmpeg with timestamps: a minimal MPEG transport stream
// (ISO/IEC 13818-1) with one H.264 program. Raw `-f h264` carries no timestamps (ffmpeg would
// assume 25 fps), while each access unit in a PES packet carries its own PTS: the sender's capture
// time on the file's timeline, so ffmpeg copies the pictures (-c:v copy) where they were taken.
// Annex B goes in as it is. PAT and PMT go before every key frame, so a reader can start there.

const PACKET_BYTES = 188;
const PAT_PID = 0x0000;
const PMT_PID = 0x1000;
const VIDEO_PID = 0x0100;
const STREAM_TYPE_H264 = 0x1b;
/** PTS ticks per millisecond (90 kHz). */
export const TS_TICKS_PER_MS = 90;
const PTS_WRAP = 2 ** 33;

/** CRC-32/MPEG-2 of PSI sections (polynomial 0x04C11DB7, no reflection, init all ones). */
function crc32Mpeg(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  }
  return crc >>> 0;
}

/** A PSI section with its CRC, as the payload of one packet (pointer field first). */
function section(tableId: number, tableIdExtension: number, body: number[]): Uint8Array {
  // section_length counts from after itself: 5 bytes of header fields, the body, the CRC.
  const length = 5 + body.length + 4;
  const head = [tableId, 0xb0 | (length >> 8), length & 0xff];
  const fields = [tableIdExtension >> 8, tableIdExtension & 0xff, 0xc1, 0x00, 0x00];
  const withoutCrc = new Uint8Array([...head, ...fields, ...body]);
  const crc = crc32Mpeg(withoutCrc);
  return new Uint8Array([
    0x00,
    ...withoutCrc,
    crc >>> 24,
    (crc >>> 16) & 0xff,
    (crc >>> 8) & 0xff,
    crc & 0xff,
  ]);
}

const PAT = section(0x00, 1, [0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff]);
const PMT = section(0x02, 1, [
  0xe0 | (VIDEO_PID >> 8),
  VIDEO_PID & 0xff, // PCR PID: the video's
  0xf0,
  0x00, // no program descriptors
  STREAM_TYPE_H264,
  0xe0 | (VIDEO_PID >> 8),
  VIDEO_PID & 0xff,
  0xf0,
  0x00, // no stream descriptors
]);

export class MpegTsWriter {
  readonly #continuity = new Map<number, number>();

  /**
   * The transport packets for one access unit shown at `pts` (90 kHz ticks from the file's
   * start), PAT and PMT first when it is a key frame (and for the first unit).
   */
  unit(accessUnit: Uint8Array, pts: number, key: boolean, first = false): Uint8Array {
    const out: Uint8Array[] = [];
    if (key || first) {
      out.push(this.#psiPacket(PAT_PID, PAT), this.#psiPacket(PMT_PID, PMT));
    }
    const ticks = ((Math.round(pts) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
    const pes = new Uint8Array(14 + accessUnit.byteLength);
    // PES header: start code, video stream 0xE0, length 0 (unbounded, allowed for video),
    // '10' marker, PTS only, 5 header bytes holding the PTS.
    pes.set([0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x80, 0x80, 0x05]);
    writeTimestamp(pes, 9, 0x2, ticks);
    pes.set(accessUnit, 14);
    let offset = 0;
    while (offset < pes.byteLength) {
      const start = offset === 0;
      // The first packet carries the PCR (the PTS: nothing here is buffered) and, for a key
      // frame, the random access flag.
      const adaptation = start ? pcrField(ticks, key) : [];
      const room = PACKET_BYTES - 4 - adaptation.length;
      const take = Math.min(room, pes.byteLength - offset);
      out.push(this.#packet(VIDEO_PID, start, adaptation, pes.subarray(offset, offset + take)));
      offset += take;
    }
    return concat(out);
  }

  #psiPacket(pid: number, payload: Uint8Array): Uint8Array {
    const packet = this.#packet(pid, true, [], payload);
    // PSI pads with 0xFF after the section rather than with an adaptation field.
    return packet;
  }

  /** One 188-byte packet; a short payload is padded by stuffing in the adaptation field. */
  #packet(pid: number, start: boolean, adaptation: number[], payload: Uint8Array): Uint8Array {
    const packet = new Uint8Array(PACKET_BYTES).fill(0xff);
    const counter = this.#continuity.get(pid) ?? 0;
    this.#continuity.set(pid, (counter + 1) & 0x0f);
    let field = adaptation;
    const free = PACKET_BYTES - 4 - field.length - payload.byteLength;
    if (free > 0 && pid === VIDEO_PID) {
      // Stuffing: grow (or create) the adaptation field by `free` bytes.
      if (field.length === 0) {
        field = free === 1 ? [0x00] : [free - 1, 0x00, ...new Array<number>(free - 2).fill(0xff)];
      } else {
        field = [
          (field[0] as number) + free,
          ...field.slice(1),
          ...new Array<number>(free).fill(0xff),
        ];
      }
    }
    const control = field.length > 0 ? 0x30 : 0x10;
    packet[0] = 0x47;
    packet[1] = (start ? 0x40 : 0x00) | (pid >> 8);
    packet[2] = pid & 0xff;
    packet[3] = control | counter;
    packet.set(field, 4);
    packet.set(payload, 4 + field.length);
    return packet;
  }
}

/** A 5-byte PTS (or DTS) with its 4-bit prefix and marker bits. */
function writeTimestamp(into: Uint8Array, at: number, prefix: number, ticks: number): void {
  const high = Math.floor(ticks / 2 ** 30) & 0x07;
  const middle = Math.floor(ticks / 2 ** 15) & 0x7fff;
  const low = ticks & 0x7fff;
  into[at] = (prefix << 4) | (high << 1) | 1;
  into[at + 1] = middle >> 7;
  into[at + 2] = ((middle & 0x7f) << 1) | 1;
  into[at + 3] = low >> 7;
  into[at + 4] = ((low & 0x7f) << 1) | 1;
}

/** Adaptation field with a PCR (33-bit base, extension 0) and the random access flag. */
function pcrField(ticks: number, randomAccess: boolean): number[] {
  const base = ticks;
  return [
    7,
    0x10 | (randomAccess ? 0x40 : 0x00),
    Math.floor(base / 2 ** 25) & 0xff,
    Math.floor(base / 2 ** 17) & 0xff,
    Math.floor(base / 2 ** 9) & 0xff,
    Math.floor(base / 2 ** 1) & 0xff,
    ((base & 0x01) << 7) | 0x7e,
    0x00,
  ];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
