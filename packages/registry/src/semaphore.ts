import { cancelledError } from "@espada/infra-core";
import { listenAbort } from "./callAbort.js";
import type { AbortSource } from "./callAbort.js";

interface Waiter {
  readonly grant: () => void;
}

/**
 * A FIFO counting semaphore: at most `limit` holders at once, the rest queue in arrival order.
 * A queued acquire whose signal aborts leaves the queue and rejects with `CANCELLED`.
 */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

  /** @param limit most holders at once (≥ 1). */
  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  /** Holders right now. */
  get active(): number {
    return this.#active;
  }

  /** Acquirers waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Waits for a slot; resolves with the function that releases it (idempotent). */
  acquire(signal?: AbortSource): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(cancelledError(signal, "queued command"));
    if (this.#active < this.#limit) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          unlisten?.();
          resolve(this.#releaser());
        },
      };
      this.#queue.push(waiter);
      const unlisten =
        signal === undefined
          ? undefined
          : listenAbort(signal, () => {
              const index = this.#queue.indexOf(waiter);
              if (index >= 0) this.#queue.splice(index, 1);
              reject(cancelledError(signal, "queued command"));
            });
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next.grant();
      else this.#active--;
    };
  }
}
