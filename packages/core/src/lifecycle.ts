import { z } from "zod";

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
/** Schema of a lifecycle state. */
export const lifecycleStateSchema = z.enum(LIFECYCLE_STATES);
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
export const lifecycleHookStageSchema = z.enum(LIFECYCLE_HOOK_STAGES);
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
