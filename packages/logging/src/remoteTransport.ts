import TransportStream from "winston-transport";
import type { LogLevel } from "@espada/infra-core";

/** Options of {@link RemoteTransport}. */
export interface RemoteTransportOptions {
  /** The collector endpoint (`http:` or `https:`); each batch is POSTed as a JSON array of entries. */
  readonly url: string;
  /** Extra request headers (an `authorization` header, a tenant id). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Entries per request (default 100); a full batch is sent at once. */
  readonly batchSize?: number;
  /** Milliseconds a partial batch waits before it is sent (default 1000). */
  readonly flushInterval?: number;
  /** Milliseconds before a request is abandoned (default 5000). */
  readonly timeout?: number;
  /** Entries held while the collector is slow; past it the oldest are dropped (default 10 000). */
  readonly maxQueue?: number;
  /** Least severe level this transport sends (default: all the logger passes on). */
  readonly level?: LogLevel;
  /** Called once when sending starts failing (and again only after a recovery); default: stderr. */
  readonly onError?: (error: Error) => void;
  /** The `fetch` to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/**
 * Sends entries to an HTTP collector in batches: a POST of a JSON array whenever `batchSize` entries are
 * queued or `flushInterval` ms after the first queued entry. One request is in flight at a time; a failed
 * batch is dropped and counted (no retries: logging never holds the process hostage), and the failure is
 * reported once until a request succeeds again. Its timer is `unref()`ed.
 */
export class RemoteTransport extends TransportStream {
  /** The collector endpoint. */
  readonly url: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #batchSize: number;
  readonly #flushInterval: number;
  readonly #timeout: number;
  readonly #maxQueue: number;
  readonly #onError: (error: Error) => void;
  readonly #fetch: typeof fetch;
  #queue: object[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #failing = false;
  #dropped = 0;
  #closed = false;

  constructor(options: RemoteTransportOptions) {
    super(options.level === undefined ? {} : { level: options.level });
    this.url = options.url;
    this.#headers = options.headers ?? {};
    this.#batchSize = options.batchSize ?? 100;
    this.#flushInterval = options.flushInterval ?? 1000;
    this.#timeout = options.timeout ?? 5000;
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
    this.#onError =
      options.onError ??
      ((error) => {
        process.stderr.write(
          `[espada-logging] cannot send logs to ${new URL(this.url).origin}: ${error.message}\n`,
        );
      });
  }

  /** Entries lost to failed requests, a full queue, or arriving after shutdown. */
  get droppedEntries(): number {
    return this.#dropped;
  }

  /** Winston entry point: queues one entry and sends when a batch is full. */
  override log(info: object, next: () => void): void {
    if (this.#closed) {
      this.#dropped += 1;
    } else {
      this.#queue.push(info);
      if (this.#queue.length > this.#maxQueue) {
        this.#queue.shift();
        this.#dropped += 1;
      }
      if (this.#queue.length >= this.#batchSize) this.#send();
      else this.#schedule();
    }
    next();
  }

  /** Sends everything queued and resolves when the last request has settled. */
  async flush(): Promise<void> {
    this.#clearTimer();
    while (this.#queue.length > 0 || this.#inFlight !== undefined) {
      if (this.#inFlight === undefined) this.#send();
      await this.#inFlight;
    }
  }

  /** Sends what is queued, then stops; later entries are dropped. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    await this.flush();
    this.#clearTimer();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#inFlight !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#send();
    }, this.#flushInterval);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #send(): void {
    if (this.#inFlight !== undefined || this.#queue.length === 0) return;
    this.#clearTimer();
    const batch = this.#queue.slice(0, this.#batchSize);
    this.#queue = this.#queue.slice(batch.length);
    this.#inFlight = this.#post(batch).finally(() => {
      this.#inFlight = undefined;
      if (this.#queue.length >= this.#batchSize) this.#send();
      else if (this.#queue.length > 0 && !this.#closed) this.#schedule();
    });
  }

  async #post(batch: readonly object[]): Promise<void> {
    try {
      const response = await this.#fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...this.#headers },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(this.#timeout),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`collector answered HTTP ${response.status}`);
      this.#failing = false;
    } catch (error) {
      this.#dropped += batch.length;
      if (this.#failing) return;
      this.#failing = true;
      try {
        this.#onError(error instanceof Error ? error : new Error(String(error)));
      } catch {
        // A throwing error callback must not stop the transport.
      }
    }
  }
}
