// Messages between the main thread and the codec workers. Binary data travels as transferred
// ArrayBuffers (offset + length describe the bytes inside), never as copies.

export type CodecRequest =
  | { id: number; op: "encode-base64"; buffer: ArrayBuffer; offset: number; length: number }
  | { id: number; op: "decode-base64"; text: string };

export type CodecResponse =
  | { id: number; op: "encode-base64"; text: string }
  | { id: number; op: "decode-base64"; buffer: ArrayBuffer; offset: number; length: number }
  | { id: number; op: "error"; message: string };
