import { z } from "zod";
import { deferred } from "./deferredSchema.js";
import { LifecycleTransitionError } from "./errors.js";

/** The 9 lifecycle states of a provider. */
export const LIFECYCLE_STATES = [
  "uninitialized",
  "initializing",
  "ready",
  "active",
  "suspending",
  "suspended",
  "terminating",
  "terminated",
  "error",
] as const;
// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of a lifecycle state. */
export const lifecycleStateSchema = deferred(() => z.enum(LIFECYCLE_STATES));
/** A provider lifecycle state. */
export type LifecycleState = z.infer<typeof lifecycleStateSchema>;

/**
 * The transition table: for each state, the states it may move to.
 *
 * It is the spec's diagram (uninitialized → initializing → ready → active → suspending → suspended →
 * ready | terminating → terminated, terminating → error) plus the edges a running system needs and
 * `docs/decisions.md` records: any working state may fail into `error`; `error` may retry
 * (`initializing`) or be torn down (`terminating`); a provider that never started (`uninitialized`,
 * `ready`) may be torn down directly.
 */
export const LIFECYCLE_TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  uninitialized: ["initializing", "terminating"],
  initializing: ["ready", "error"],
  ready: ["active", "terminating", "error"],
  active: ["suspending", "error"],
  suspending: ["suspended", "error"],
  suspended: ["ready", "terminating", "error"],
  terminating: ["terminated", "error"],
  terminated: [],
  error: ["initializing", "terminating"],
};

/** True when the table allows moving from `from` to `to`. */
export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return LIFECYCLE_TRANSITIONS[from].includes(to);
}

/** True for a state no transition leaves (`terminated`). */
export function isTerminalState(state: LifecycleState): boolean {
  return LIFECYCLE_TRANSITIONS[state].length === 0;
}

/** The 10 lifecycle hook stages, in the order a full provider life meets them. */
export const LIFECYCLE_HOOK_STAGES = [
  "beforeInit",
  "afterInit",
  "beforeStart",
  "afterStart",
  "beforeStop",
  "afterStop",
  "beforeDestroy",
  "afterDestroy",
  "onError",
  "onHealthCheck",
] as const;
/** Schema of a lifecycle hook stage. */
export const lifecycleHookStageSchema = deferred(() => z.enum(LIFECYCLE_HOOK_STAGES));
/** A lifecycle hook stage. */
export type LifecycleHookStage = z.infer<typeof lifecycleHookStageSchema>;

/** What a lifecycle hook receives. */
export interface LifecycleHookContext {
  /** The provider's meta id. */
  readonly providerId: string;
  /** The instance id when the provider runs under the registry. */
  readonly instanceId?: string;
  /** The stage being run. */
  readonly stage: LifecycleHookStage;
  /** The provider's state when the hook runs. */
  readonly state: LifecycleState;
  /** The error, for `onError`. */
  readonly error?: unknown;
  /** Extra data: the health report for `onHealthCheck`. */
  readonly data?: unknown;
}

/** A lifecycle hook. A hook that throws is isolated: `onError` fires and the state stays consistent. */
export type LifecycleHook = (context: LifecycleHookContext) => void | Promise<void>;

/** Removes the subscription it was returned by. */
export type Unsubscribe = () => void;

/** One move of a {@link LifecycleStateMachine}: always an edge of {@link LIFECYCLE_TRANSITIONS}. */
export interface LifecycleTransition {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  /** Why the move happened: the failure that moved the machine to `error`, when one was given. */
  readonly cause?: unknown;
}

/** Told of every move of a {@link LifecycleStateMachine}, in order. */
export type LifecycleTransitionListener = (transition: LifecycleTransition) => void;

/**
 * The one holder of a provider instance's lifecycle state. A provider exposes its holder as
 * `provider.lifecycle`; the provider itself and the registry's lifecycle manager move the same
 * holder, so the state a provider reports and the state the manager reports cannot differ.
 */
export interface LifecycleStateHolder {
  /** The current state. */
  readonly state: LifecycleState;
  /** True when the table allows moving from the current state to `to`. */
  canMoveTo(to: LifecycleState): boolean;
  /**
   * Moves to `to` and tells every listener.
   * @throws LifecycleTransitionError (code `ILLEGAL_TRANSITION`) when the table does not allow it; nothing changes.
   */
  moveTo(to: LifecycleState, cause?: unknown): void;
  /** Subscribes to every move, whoever makes it. */
  onTransition(listener: LifecycleTransitionListener): Unsubscribe;
}

/** Options of {@link LifecycleStateMachine}. */
export interface LifecycleStateMachineOptions {
  /** Named in errors (`Provider "<name>" cannot move from …`): the provider or instance id. */
  readonly name: string;
  /** Starting state. Default `uninitialized`. */
  readonly initial?: LifecycleState;
  /** Receives what a throwing listener threw; the move and the other listeners go on regardless. */
  readonly onListenerError?: (error: unknown, transition: LifecycleTransition) => void;
}

/**
 * Core's lifecycle state machine: holds one state and moves it only along
 * {@link LIFECYCLE_TRANSITIONS}. Listeners hear every move in the order the moves were made, even
 * when a listener moves the machine itself (that move is delivered after the current one); a
 * throwing listener is isolated.
 */
export class LifecycleStateMachine implements LifecycleStateHolder {
  readonly #name: string;
  readonly #onListenerError: ((error: unknown, transition: LifecycleTransition) => void) | undefined;
  readonly #listeners = new Set<LifecycleTransitionListener>();
  readonly #queue: LifecycleTransition[] = [];
  #delivering = false;
  #state: LifecycleState;

  constructor(options: LifecycleStateMachineOptions) {
    this.#name = options.name;
    this.#state = options.initial ?? "uninitialized";
    this.#onListenerError = options.onListenerError;
  }

  /** The current state. */
  get state(): LifecycleState {
    return this.#state;
  }

  /** True when the table allows moving from the current state to `to`. */
  canMoveTo(to: LifecycleState): boolean {
    return canTransition(this.#state, to);
  }

  /**
   * Moves to `to` and tells every listener.
   * @throws LifecycleTransitionError when the table does not allow it; nothing changes.
   */
  moveTo(to: LifecycleState, cause?: unknown): void {
    const from = this.#state;
    if (!canTransition(from, to))
      throw new LifecycleTransitionError(this.#name, from, to, { field: "state" });
    this.#state = to;
    this.#queue.push(cause === undefined ? { from, to } : { from, to, cause });
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        for (const listener of [...this.#listeners]) {
          try {
            listener(next);
          } catch (error) {
            this.#onListenerError?.(error, next);
          }
        }
      }
    } finally {
      this.#delivering = false;
    }
  }

  /** Subscribes to every move, whoever makes it. */
  onTransition(listener: LifecycleTransitionListener): Unsubscribe {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** Creates a {@link LifecycleStateMachine} named `name` (a provider or instance id). */
export function createLifecycleStateMachine(
  name: string,
  initial: LifecycleState = "uninitialized",
): LifecycleStateMachine {
  return new LifecycleStateMachine({ name, initial });
}

/** True when `value` has the shape of a {@link LifecycleStateHolder} (a provider's `lifecycle`). */
export function isLifecycleStateHolder(value: unknown): value is LifecycleStateHolder {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<keyof LifecycleStateHolder, unknown>>;
  return (
    typeof candidate.state === "string" &&
    (LIFECYCLE_STATES as readonly string[]).includes(candidate.state) &&
    typeof candidate.canMoveTo === "function" &&
    typeof candidate.moveTo === "function" &&
    typeof candidate.onTransition === "function"
  );
}
