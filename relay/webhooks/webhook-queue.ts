// One receiver URL: a bounded FIFO sent one POST at a time, so a room's events arrive in order.
// A failed POST is retried with exponential backoff (0.5 s doubling to 30 s) for up to about
// 10 minutes, then dropped and counted; a full queue drops the new event and counts it. Nothing
// here runs on the hot path except push().
import { log } from "../log.ts";
import type { WebhookPayload } from "./events.ts";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.ts";
import { webhookStats } from "./webhook-metrics.ts";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
const MAX_ATTEMPTS = 25;
const POST_TIMEOUT_MS = 5000;

export function retryDelayMs(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
}

export class WebhookQueue {
  readonly #items: WebhookPayload[] = [];
  #sending = false;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly url: string,
    private readonly secret: string | null,
    private readonly capacity: number,
  ) {}

  /** Payloads waiting (GET /debug/counts). */
  get length(): number {
    return this.#items.length;
  }

  push(payload: WebhookPayload): void {
    if (this.#items.length >= this.capacity) {
      webhookStats.dropped++;
      return;
    }
    this.#items.push(payload);
    webhookStats.queued++;
    if (!this.#sending) this.#next(1);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #next(attempt: number): void {
    const head = this.#items[0];
    if (!head || this.#stopped) {
      this.#sending = false;
      return;
    }
    this.#sending = true;
    void this.#post(head).then((ok) => {
      if (ok || attempt >= MAX_ATTEMPTS) {
        if (ok) webhookStats.sent++;
        else webhookStats.dropped++;
        this.#items.shift();
        webhookStats.queued--;
        this.#next(1);
        return;
      }
      webhookStats.failedAttempts++;
      this.#timer = setTimeout(() => this.#next(attempt + 1), retryDelayMs(attempt));
      this.#timer.unref?.();
    });
  }

  async #post(payload: WebhookPayload): Promise<boolean> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "framecast-relay",
    };
    if (this.secret)
      headers[SIGNATURE_HEADER] = signatureHeader(this.secret, body, Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return true;
      log("debug", "webhook_failed", {
        url: this.url.replace(/\?.*$/, ""),
        status: response.status,
      });
    } catch (error) {
      log("debug", "webhook_failed", { url: this.url.replace(/\?.*$/, ""), error: String(error) });
    }
    return false;
  }
}
