import { cancelledError, clampTimerDelay, TimeoutError, toError } from "@espada/infra-core";
import { listenAbort } from "./callAbort.js";
import type { AbortSource } from "./callAbort.js";

/** Runs `fn` so that a synchronous throw becomes a rejection. */
export function attempt<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(toError(error));
  }
}

/**
 * Settles with `work`, or rejects with a {@link TimeoutError} after `ms`, or with a `CANCELLED`
 * error when `signal` aborts — whichever comes first. The timer and the abort listener are released
 * as soon as one of them wins; a late rejection of `work` is observed, so a hanging or late-failing
 * operation never becomes an unhandled rejection nor keeps the process alive.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, signal?: AbortSource): Promise<T> {
  if (signal?.aborted === true) {
    work.catch(() => undefined);
    return Promise.reject(cancelledError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      unlisten?.();
    };
    const timer = setTimeout(() => {
      done();
      reject(new TimeoutError(what, ms));
    }, clampTimerDelay(ms));
    const unlisten =
      signal === undefined
        ? undefined
        : listenAbort(signal, () => {
            done();
            reject(cancelledError(signal, what));
          });
    work.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(toError(error));
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the abort reason (or a `CANCELLED` error) when `signal` aborts; the timer is cleared on abort. */
export function sleep(ms: number, signal?: AbortSource): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(cancelledError(signal, "wait"));
      return;
    }
    const timer = setTimeout(() => {
      unlisten?.();
      resolve();
    }, clampTimerDelay(ms));
    const unlisten =
      signal === undefined
        ? undefined
        : listenAbort(signal, () => {
            clearTimeout(timer);
            reject(cancelledError(signal, "wait"));
          });
  });
}

/**
 * Settles with `work`, or rejects with core's `cancelledError` as soon as `signal` aborts (at once
 * when it already has): core's `raceAbort` over an {@link AbortSource}. The listener is removed
 * when `work` settles first; a late settlement of `work` is observed; a rejection of `work` is
 * passed on as an `Error`.
 */
export function raceAbortOf<T>(work: Promise<T>, signal: AbortSource, what: string): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(cancelledError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const unlisten = listenAbort(signal, () => reject(cancelledError(signal, what)));
    work.then(
      (value) => {
        unlisten();
        resolve(value);
      },
      (error: unknown) => {
        unlisten();
        reject(toError(error));
      },
    );
  });
}
