import { cancelledError, clampTimerDelay, TimeoutError, toError } from "@espada/infra-core";

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
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted === true) {
    work.catch(() => undefined);
    return Promise.reject(cancelledError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(cancelledError(signal, what));
    };
    const timer = setTimeout(() => {
      done();
      reject(new TimeoutError(what, ms));
    }, clampTimerDelay(ms));
    signal?.addEventListener("abort", onAbort, { once: true });
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
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(cancelledError(signal, "wait"));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError(signal, "wait"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, clampTimerDelay(ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
