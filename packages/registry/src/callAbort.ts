import type { ExecutionContext } from "@espada/infra-core";

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

/** What a {@link RunContext} carries besides its signal. */
export type RunContextFields = Omit<ExecutionContext, "signal">;

/**
 * The context a provider's `executeCommand` receives from the executor: every field of core's
 * `ExecutionContext`, `signal` an own enumerable getter making the call's signal on first read (a
 * spread of the context reads it, so a copy carries a real signal too). The getter is one shared
 * function, not a closure per call: an object literal with its own `get signal()` gets a map of
 * its own on V8, and that map (old space) keeps the call's objects alive until a full GC.
 */
export class RunContext implements ExecutionContext {
  // declared, not class fields: each is assigned in the constructor (an optional one only when
  // given, as exactOptionalPropertyTypes reads it), so no key is defined twice or left undefined
  declare readonly signal: AbortSignal;
  declare readonly executionId: string;
  declare readonly sessionId: string | undefined;
  declare readonly userId: string;
  declare readonly environment: ExecutionContext["environment"];
  declare readonly dryRun: boolean;
  declare readonly confirmed: boolean;
  declare readonly progress: ExecutionContext["progress"];
  declare readonly logger: ExecutionContext["logger"];
  declare readonly variables: ExecutionContext["variables"];
  declare readonly timeout?: number;
  declare readonly validated?: NonNullable<ExecutionContext["validated"]>;
  readonly #abort: CallAbort;

  constructor(abort: CallAbort, fields: RunContextFields) {
    this.executionId = fields.executionId;
    this.sessionId = fields.sessionId;
    this.userId = fields.userId;
    this.environment = fields.environment;
    this.dryRun = fields.dryRun;
    this.confirmed = fields.confirmed;
    Object.defineProperty(this, "signal", SIGNAL);
    this.progress = fields.progress;
    this.logger = fields.logger;
    this.variables = fields.variables;
    if (fields.timeout !== undefined) this.timeout = fields.timeout;
    if (fields.validated !== undefined) this.validated = fields.validated;
    this.#abort = abort;
  }

  /** The call's signal (made on first read). */
  static signalOf(context: RunContext): AbortSignal {
    return context.#abort.signal;
  }
}

/** The one `signal` accessor every {@link RunContext} shares. */
const SIGNAL: PropertyDescriptor = {
  get(this: RunContext): AbortSignal {
    return RunContext.signalOf(this);
  },
  enumerable: true,
  configurable: true,
};
