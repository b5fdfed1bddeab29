import { InfrastructureError, toError } from "./errors.js";

/** The longest delay a Node timer honours (2^31 − 1 ms); a longer one fires after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `ms` clamped into [0, {@link MAX_TIMER_MS}], so that a huge delay waits long instead of firing at once. */
export function clampTimerDelay(ms: number): number {
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}

/**
 * The error an aborted wait rejects with: the signal's reason when it already is an
 * {@link InfrastructureError} (a `TimeoutError`, a shutdown…), else a `CANCELLED` error naming
 * `what`, with the reason as its `cause`.
 */
export function cancelledError(
  signal: Pick<AbortSignal, "reason"> | undefined,
  what: string,
): InfrastructureError {
  const reason: unknown = signal?.reason;
  if (reason instanceof InfrastructureError) return reason;
  return new InfrastructureError(
    "CANCELLED",
    `${what} was cancelled`,
    reason === undefined ? {} : { cause: reason },
  );
}

/**
 * Settles with `work`, or rejects with {@link cancelledError} as soon as `signal` aborts (at once
 * when it already has). The abort listener is removed when `work` settles first, and a late
 * settlement of `work` is observed, so it never becomes an unhandled rejection. A rejection of
 * `work` is passed on as an `Error` (`toError`).
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(cancelledError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(signal, what));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(toError(error));
      },
    );
  });
}
