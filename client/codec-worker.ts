// Worker thread: base64 encode (outgoing frames for --wire base64) and decode (incoming base64
// frames), off the main thread so capture and sending never wait on it.
import type { CodecRequest, CodecResponse } from "./codec-messages.ts";

declare const self: Worker;

// ES2026 base64 methods (built into Bun); typed here in case the TS lib lacks them.
const toBase64 = (bytes: Uint8Array): string =>
  (bytes as Uint8Array & { toBase64(): string }).toBase64();
const fromBase64 = (text: string): Uint8Array =>
  (Uint8Array as unknown as { fromBase64(text: string): Uint8Array }).fromBase64(text);

self.onmessage = (event: MessageEvent<CodecRequest>) => {
  const request = event.data;
  try {
    if (request.op === "encode-base64") {
      const bytes = new Uint8Array(request.buffer, request.offset, request.length);
      const response: CodecResponse = {
        id: request.id,
        op: "encode-base64",
        text: toBase64(bytes),
      };
      self.postMessage(response);
    } else {
      // fromBase64 rejects anything that isn't base64 and returns a buffer of its own.
      const bytes = fromBase64(request.text);
      const buffer = bytes.buffer as ArrayBuffer;
      const response: CodecResponse = {
        id: request.id,
        op: "decode-base64",
        buffer,
        offset: bytes.byteOffset,
        length: bytes.byteLength,
      };
      self.postMessage(response, [buffer]);
    }
  } catch (error) {
    const response: CodecResponse = { id: request.id, op: "error", message: String(error) };
    self.postMessage(response);
  }
};
