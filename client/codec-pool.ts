// A bounded pool of codec workers. Each worker runs one job at a time; waiting jobs sit in a
// short queue, and when the queue is full the OLDEST waiting job is dropped: for live video a
// stale frame is worth less than a fresh one, and memory must not grow when workers fall behind.
import { availableParallelism } from "node:os";
import type { CodecRequest, CodecResponse } from "./codec-messages.ts";

type Resolve = (response: CodecResponse | null) => void;

interface Job {
  request: CodecRequest;
  transfer: ArrayBuffer[];
  resolve: Resolve;
}

/** One worker per core beyond the main thread's, at least one, at most four. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class CodecPool {
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, Job>();
  readonly #queue: Job[] = [];
  readonly #maxQueued: number;
  #nextId = 1;
  #closed = false;
  /** Jobs thrown away because the pool was behind. */
  dropped = 0;

  constructor(size = defaultPoolSize(), maxQueued = size * 2) {
    this.#maxQueued = Math.max(1, maxQueued);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./codec-worker.ts", import.meta.url).href);
      worker.onmessage = (event: MessageEvent<CodecResponse>) => this.#finished(worker, event.data);
      worker.onerror = (event) => {
        const job = this.#busy.get(worker);
        if (job)
          this.#finished(worker, { id: job.request.id, op: "error", message: event.message });
      };
      this.#idle.push(worker);
    }
  }

  get size(): number {
    return this.#idle.length + this.#busy.size;
  }

  /** Jobs waiting for a worker (not counting the ones running). */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Base64 of `jpeg`, or null if dropped. The buffer under `jpeg` is transferred to a worker:
   * the caller must own it and not touch it afterwards.
   */
  async encodeBase64(jpeg: Uint8Array): Promise<string | null> {
    const buffer = jpeg.buffer as ArrayBuffer;
    const response = await this.#submit(
      { id: 0, op: "encode-base64", buffer, offset: jpeg.byteOffset, length: jpeg.byteLength },
      [buffer],
    );
    if (response?.op === "error") throw new Error(response.message);
    return response?.op === "encode-base64" ? response.text : null;
  }

  /** Bytes decoded from base64 text, or null if dropped. Throws on text that isn't base64. */
  async decodeBase64(text: string): Promise<Uint8Array | null> {
    const response = await this.#submit({ id: 0, op: "decode-base64", text }, []);
    if (response?.op === "error") throw new Error(response.message);
    return response?.op === "decode-base64"
      ? new Uint8Array(response.buffer, response.offset, response.length)
      : null;
  }

  close(): void {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.resolve(null);
    for (const [worker, job] of this.#busy) {
      job.resolve(null);
      worker.terminate();
    }
    this.#busy.clear();
    for (const worker of this.#idle.splice(0)) worker.terminate();
  }

  #submit(request: CodecRequest, transfer: ArrayBuffer[]): Promise<CodecResponse | null> {
    if (this.#closed) return Promise.resolve(null);
    request.id = this.#nextId++;
    return new Promise((resolve) => {
      const job: Job = { request, transfer, resolve };
      const worker = this.#idle.pop();
      if (worker) {
        this.#run(worker, job);
        return;
      }
      if (this.#queue.length >= this.#maxQueued) {
        this.dropped++;
        this.#queue.shift()?.resolve(null);
      }
      this.#queue.push(job);
    });
  }

  #run(worker: Worker, job: Job): void {
    this.#busy.set(worker, job);
    worker.postMessage(job.request, job.transfer);
  }

  #finished(worker: Worker, response: CodecResponse): void {
    const job = this.#busy.get(worker);
    this.#busy.delete(worker);
    job?.resolve(response);
    if (this.#closed) return;
    const next = this.#queue.shift();
    if (next) this.#run(worker, next);
    else this.#idle.push(worker);
  }
}
