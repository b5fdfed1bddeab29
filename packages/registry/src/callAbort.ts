/**
 * One call's cancellation, without an `AbortSignal` until someone asks for one.
 *
 * Node builds an `AbortSignal` (an `EventTarget`) slowly, several microseconds each, and most
 * providers never look at theirs. The executor's own waits (the gate's timeout, the slot queue, the
 * retry delay, the race against the provider) listen here through plain callbacks; {@link signal}
 * makes a real signal on first read, aborted at once with the reason when the call already was,
 * and aborted with the same reason by {@link abort} otherwise. Listeners run synchronously in
 * {@link abort}, after the signal's own listeners, as the listeners of a signal would.
 */
export class CallAbort {
  #aborted = false;
  #reason: unknown = undefined;
  #controller: AbortController | undefined;
  #listeners: Set<() => void> | undefined;

  /** True once {@link abort} ran. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** What {@link abort} was given; undefined before. */
  get reason(): unknown {
    return this.#reason;
  }

  /** True once {@link signal} was read (for tests and diagnostics). */
  get hasSignal(): boolean {
    return this.#controller !== undefined;
  }

  /** A real `AbortSignal` following this call, made on first read. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts with `reason` (the first call wins; later ones do nothing). */
  abort(reason: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /**
   * Calls `listener` once when the call aborts (never when it already has: check {@link aborted}
   * first); returns the function that removes it. Give each subscription its own function.
   */
  onAbort(listener: () => void): () => void {
    if (this.#aborted) return noop;
    (this.#listeners ??= new Set()).add(listener);
    return () => {
      this.#listeners?.delete(listener);
    };
  }
}

const noop = (): void => undefined;

/** What the executor's waits listen to: a call's {@link CallAbort}, or any `AbortSignal`. */
export type AbortSource = CallAbort | AbortSignal;

/** Calls `listener` once when `source` aborts; returns the function that stops listening. */
export function listenAbort(source: AbortSource, listener: () => void): () => void {
  if (source instanceof CallAbort) return source.onAbort(listener);
  source.addEventListener("abort", listener, { once: true });
  return () => source.removeEventListener("abort", listener);
}
