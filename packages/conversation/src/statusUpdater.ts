import type { InfrastructureEventBus, CommandEvent, Unsubscribe } from "@espada/infra-core";
import { InfrastructureError } from "@espada/infra-core";
import { InfrastructureErrorHumanizer } from "./errorHumanizer.js";
import type { HumanizedError } from "./errorHumanizer.js";

/** How much a subscriber hears: `quiet` start and end only, `normal` also each step and every 10 %, `verbose` everything. */
export const VERBOSITY_LEVELS = ["quiet", "normal", "verbose"] as const;
/** A verbosity level. */
export type Verbosity = (typeof VERBOSITY_LEVELS)[number];

/** The kinds of status event, in the only order they occur for one operation. */
export type StatusEventType = "started" | "progress" | "completed" | "failed" | "cancelled";

/** One status event of an operation. */
export interface StatusEvent {
  readonly operationId: string;
  readonly type: StatusEventType;
  /** Per operation, from 0, gap-free for a `verbose` subscriber. */
  readonly sequence: number;
  /** Epoch ms. */
  readonly at: number;
  readonly title: string;
  /** 0–100, never decreasing. */
  readonly percent: number;
  readonly step?: number;
  readonly totalSteps?: number;
  readonly stepName?: string;
  readonly message: string;
  /** For `failed`. */
  readonly error?: HumanizedError;
}

/** The status of one operation. */
export interface OperationStatus {
  readonly operationId: string;
  readonly title: string;
  readonly state: "running" | "completed" | "failed" | "cancelled";
  readonly percent: number;
  readonly step?: number;
  readonly totalSteps?: number;
  readonly stepName?: string;
  readonly message: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly error?: HumanizedError;
}

/** Options of {@link InfrastructureStatusUpdater}. */
export interface StatusUpdaterOptions {
  readonly now?: () => number;
  /** Default verbosity of subscribers that do not choose one. Default `normal`. */
  readonly verbosity?: Verbosity;
  /** How many finished operations stay queryable. Default 100. */
  readonly retainFinished?: number;
  readonly humanizer?: InfrastructureErrorHumanizer;
  /** Receives errors thrown by listeners (they never reach the caller). */
  readonly onListenerError?: (error: unknown) => void;
}

/** What {@link InfrastructureStatusUpdater.start} accepts. */
export interface StartOptions {
  readonly title?: string;
  readonly totalSteps?: number;
  /** Names of the steps, in order (sets `totalSteps`). */
  readonly steps?: readonly string[];
}

/** A progress report. */
export interface ProgressInput {
  readonly percent?: number;
  /** 1-based step reached. */
  readonly step?: number;
  readonly totalSteps?: number;
  readonly message?: string;
}

type Listener = (event: StatusEvent) => void;

interface Tracked {
  status: OperationStatus;
  sequence: number;
  steps: readonly string[] | undefined;
}

interface Subscriber {
  readonly listener: Listener;
  readonly verbosity: Verbosity;
  readonly operationId: string | undefined;
  /** Per operation: last percent and step told, to thin `normal` progress. */
  readonly told: Map<string, { percent: number; step: number | undefined }>;
}

/**
 * `InfrastructureStatusUpdater`: tracks operations with steps and a percentage and tells
 * subscribers. For every operation each subscriber hears `started`, then progress, then exactly
 * one of `completed`, `failed` or `cancelled` — in that order, even when reports arrive out of
 * order, twice, or after the end (those are dropped). Subscribers choose a verbosity; a throwing
 * subscriber never disturbs the others or the caller.
 */
export class InfrastructureStatusUpdater {
  private readonly now: () => number;
  private readonly verbosity: Verbosity;
  private readonly retain: number;
  private readonly humanizer: InfrastructureErrorHumanizer;
  private readonly onListenerError: (error: unknown) => void;
  private readonly operations = new Map<string, Tracked>();
  private readonly finishedOrder: string[] = [];
  private readonly subscribers = new Set<Subscriber>();

  constructor(options: StatusUpdaterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.verbosity = options.verbosity ?? "normal";
    this.retain = options.retainFinished ?? 100;
    this.humanizer = options.humanizer ?? new InfrastructureErrorHumanizer();
    this.onListenerError = options.onListenerError ?? (() => undefined);
    if (!Number.isInteger(this.retain) || this.retain < 0)
      throw new InfrastructureError("INVALID_ARGUMENT", "retainFinished must be a non-negative integer", {
        field: "retainFinished",
      });
  }

  /** Starts tracking an operation; a second start of a known id is ignored (returns false). */
  start(operationId: string, options: StartOptions = {}): boolean {
    if (this.operations.has(operationId)) return false;
    const totalSteps = options.steps?.length ?? options.totalSteps;
    const status: OperationStatus = {
      operationId,
      title: options.title ?? operationId,
      state: "running",
      percent: 0,
      ...(totalSteps === undefined ? {} : { totalSteps }),
      message: "started",
      startedAt: this.now(),
    };
    this.operations.set(operationId, { status, sequence: 0, steps: options.steps });
    this.emit(operationId, "started");
    return true;
  }

  /** Reports progress; starts the operation first when it is unknown; ignored once it has ended. */
  progress(operationId: string, input: ProgressInput): boolean {
    if (!this.operations.has(operationId)) this.start(operationId);
    const tracked = this.operations.get(operationId);
    if (tracked === undefined || tracked.status.state !== "running") return false;
    const totalSteps = input.totalSteps ?? tracked.status.totalSteps;
    const step = input.step ?? tracked.status.step;
    let percent = input.percent;
    if (percent === undefined && step !== undefined && totalSteps !== undefined && totalSteps > 0)
      percent = (step / totalSteps) * 100;
    percent = Math.max(tracked.status.percent, Math.min(100, Number.isFinite(percent) ? (percent ?? 0) : 0));
    const stepName = step === undefined ? undefined : tracked.steps?.[step - 1];
    tracked.status = {
      ...tracked.status,
      percent,
      ...(step === undefined ? {} : { step }),
      ...(totalSteps === undefined ? {} : { totalSteps }),
      ...(stepName === undefined ? {} : { stepName }),
      message: input.message ?? stepName ?? tracked.status.message,
    };
    this.emit(operationId, "progress");
    return true;
  }

  /** Ends an operation successfully; false when it had already ended. */
  complete(operationId: string, message = "completed"): boolean {
    return this.finish(operationId, "completed", message);
  }

  /** Ends an operation with an error (humanized for people); false when it had already ended. */
  fail(operationId: string, error: unknown): boolean {
    const human = this.humanizer.humanize(error);
    return this.finish(operationId, "failed", human.explanation, human);
  }

  /** Ends an operation as cancelled; false when it had already ended. */
  cancel(operationId: string, reason = "cancelled"): boolean {
    return this.finish(operationId, "cancelled", reason);
  }

  /** The status of an operation (running, or among the last finished ones). */
  get(operationId: string): OperationStatus | undefined {
    return this.operations.get(operationId)?.status;
  }

  /** Operations still running. */
  active(): OperationStatus[] {
    return [...this.operations.values()].filter((t) => t.status.state === "running").map((t) => t.status);
  }

  /**
   * Subscribes to status events (optionally of one operation). A subscriber that joins while an
   * operation runs first hears its `started` (with the progress so far), so the order holds for it too.
   */
  subscribe(
    listener: Listener,
    options: { readonly verbosity?: Verbosity; readonly operationId?: string } = {},
  ): Unsubscribe {
    const sub: Subscriber = {
      listener,
      verbosity: options.verbosity ?? this.verbosity,
      operationId: options.operationId,
      told: new Map(),
    };
    this.subscribers.add(sub);
    for (const t of this.operations.values()) {
      if (
        t.status.state !== "running" ||
        (sub.operationId !== undefined && sub.operationId !== t.status.operationId)
      )
        continue;
      this.deliver(sub, this.eventOf(t, "started"));
    }
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Follows the executor's `command:*` events on a bus; returns a function that stops following. */
  attach(bus: InfrastructureEventBus): Unsubscribe {
    const started = (e: CommandEvent): void => {
      this.start(e.executionId, { title: `${e.commandId} on ${e.instanceId ?? e.providerId}` });
    };
    const progress = (e: CommandEvent): void => {
      const p = e.progress;
      this.progress(e.executionId, {
        ...(p?.percent === undefined ? {} : { percent: p.percent }),
        ...(p?.step === undefined ? {} : { step: p.step }),
        ...(p?.totalSteps === undefined ? {} : { totalSteps: p.totalSteps }),
        ...(p?.message === undefined ? {} : { message: p.message }),
      });
    };
    const completed = (e: CommandEvent): void => {
      if (!this.operations.has(e.executionId)) this.start(e.executionId, { title: e.commandId });
      this.complete(e.executionId);
    };
    const failed = (e: CommandEvent): void => {
      if (!this.operations.has(e.executionId)) this.start(e.executionId, { title: e.commandId });
      this.fail(e.executionId, e.error ?? "failed");
    };
    const cancelled = (e: CommandEvent): void => {
      if (!this.operations.has(e.executionId)) this.start(e.executionId, { title: e.commandId });
      this.cancel(e.executionId);
    };
    bus.on("command:started", started);
    bus.on("command:progress", progress);
    bus.on("command:completed", completed);
    bus.on("command:failed", failed);
    bus.on("command:cancelled", cancelled);
    return () => {
      bus.off("command:started", started);
      bus.off("command:progress", progress);
      bus.off("command:completed", completed);
      bus.off("command:failed", failed);
      bus.off("command:cancelled", cancelled);
    };
  }

  private finish(
    operationId: string,
    state: "completed" | "failed" | "cancelled",
    message: string,
    error?: HumanizedError,
  ): boolean {
    if (!this.operations.has(operationId)) this.start(operationId);
    const tracked = this.operations.get(operationId);
    if (tracked === undefined || tracked.status.state !== "running") return false;
    tracked.status = {
      ...tracked.status,
      state,
      percent: state === "completed" ? 100 : tracked.status.percent,
      message,
      finishedAt: this.now(),
      ...(error === undefined ? {} : { error }),
    };
    this.emit(operationId, state);
    this.finishedOrder.push(operationId);
    while (this.finishedOrder.length > this.retain) {
      const old = this.finishedOrder.shift();
      if (old !== undefined) this.operations.delete(old);
    }
    for (const sub of this.subscribers) sub.told.delete(operationId);
    return true;
  }

  private eventOf(t: Tracked, type: StatusEventType): StatusEvent {
    const s = t.status;
    return {
      operationId: s.operationId,
      type,
      sequence: t.sequence++,
      at: this.now(),
      title: s.title,
      percent: s.percent,
      ...(s.step === undefined ? {} : { step: s.step }),
      ...(s.totalSteps === undefined ? {} : { totalSteps: s.totalSteps }),
      ...(s.stepName === undefined ? {} : { stepName: s.stepName }),
      message: s.message,
      ...(s.error === undefined ? {} : { error: s.error }),
    };
  }

  private emit(operationId: string, type: StatusEventType): void {
    const t = this.operations.get(operationId);
    if (t === undefined) return;
    const event = this.eventOf(t, type);
    for (const sub of [...this.subscribers]) {
      if (sub.operationId !== undefined && sub.operationId !== operationId) continue;
      this.deliver(sub, event);
    }
  }

  private deliver(sub: Subscriber, event: StatusEvent): void {
    if (event.type === "started")
      sub.told.set(event.operationId, { percent: event.percent, step: event.step });
    else if (event.type === "progress") {
      // A subscriber that never heard "started" (it joined after it) hears nothing of the operation.
      const told = sub.told.get(event.operationId);
      if (told === undefined || sub.verbosity === "quiet") return;
      if (sub.verbosity === "normal" && event.step === told.step && event.percent - told.percent < 10) return;
      sub.told.set(event.operationId, { percent: event.percent, step: event.step });
    } else if (!sub.told.has(event.operationId)) return;
    try {
      sub.listener(event);
    } catch (error) {
      try {
        this.onListenerError(error);
      } catch {
        // a failing error hook must not disturb the updater either
      }
    }
  }
}
