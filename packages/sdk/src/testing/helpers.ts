import { createExecutionContext, toError } from "@espada/infra-core/authoring";
import type {
  CommandError,
  CommandResult,
  ExecutionContext,
  InfrastructureLogger,
  InfrastructureProvider,
  LifecycleHookStage,
  LifecycleState,
  LogContext,
  LogLevel,
  LogMeta,
  ProgressUpdate,
  ProviderAuth,
  ProviderHealth,
} from "@espada/infra-core";
import { LIFECYCLE_HOOK_STAGES, LOG_LEVELS } from "@espada/infra-core/authoring";

/** One entry a {@link MockLogger} captured. */
export interface CapturedLogEntry {
  readonly level: LogLevel;
  readonly message: string;
  /** Dotted child-logger name (`""` for the root). */
  readonly name: string;
  readonly context: LogContext;
  readonly meta: LogMeta | undefined;
}

/** A logger that records every entry (its children and context loggers share the same list). */
export interface MockLogger extends InfrastructureLogger {
  /** Every entry, in order. */
  readonly entries: readonly CapturedLogEntry[];
  /** Entries at `level`, or all entries when omitted. */
  find(level?: LogLevel): readonly CapturedLogEntry[];
  /** Forgets every entry. */
  clear(): void;
}

/** Creates a {@link MockLogger}: every level enabled, entries kept in memory. */
export function createMockLogger(): MockLogger {
  const entries: CapturedLogEntry[] = [];
  const make = (name: string, context: LogContext): MockLogger => {
    const record = (level: LogLevel) => (message: string, meta?: LogMeta) => {
      entries.push({ level, message, name, context, meta });
    };
    return {
      trace: record("trace"),
      debug: record("debug"),
      info: record("info"),
      warn: record("warn"),
      error: record("error"),
      fatal: record("fatal"),
      child: (child) => make(name === "" ? child : `${name}.${child}`, context),
      withContext: (extra) => make(name, { ...context, ...extra }),
      isLevelEnabled: (level) => LOG_LEVELS.includes(level),
      get entries() {
        return entries;
      },
      find: (level) => (level === undefined ? [...entries] : entries.filter((e) => e.level === level)),
      clear: () => {
        entries.length = 0;
      },
    };
  };
  return make("", {});
}

/** An execution context for tests: a mock logger, captured progress, and an `abort()` switch. */
export interface TestContext extends ExecutionContext {
  readonly logger: MockLogger;
  /** Every progress update the command reported. */
  readonly progressUpdates: readonly ProgressUpdate[];
  /** Aborts `signal` (cancels the command under test). */
  abort(reason?: unknown): void;
}

/** Builds a {@link TestContext}; `overrides` replace any field except `logger`, `signal` and `progress`. */
export function createTestContext(
  overrides: Partial<Omit<ExecutionContext, "logger" | "signal" | "progress">> = {},
): TestContext {
  const controller = new AbortController();
  const logger = createMockLogger();
  const progressUpdates: ProgressUpdate[] = [];
  const base = createExecutionContext({
    ...overrides,
    logger,
    signal: controller.signal,
    progress: (update) => {
      progressUpdates.push(update);
    },
  });
  return {
    ...base,
    logger,
    progressUpdates,
    abort: (reason?: unknown) => {
      controller.abort(reason);
    },
  };
}

/** A command {@link runProviderLifecycle} runs while the provider is active. */
export interface LifecycleCommandRun {
  readonly id: string;
  readonly params?: Record<string, unknown>;
  readonly context?: Partial<ExecutionContext>;
}

/** Options of {@link runProviderLifecycle}. */
export interface RunProviderLifecycleOptions {
  /** Credentials for `initialize`. Default: the provider's first auth method, no credentials. */
  readonly auth?: ProviderAuth;
  /** Commands to run between `start` and `stop`. */
  readonly commands?: readonly LifecycleCommandRun[];
}

/** What happened during {@link runProviderLifecycle}. */
export interface ProviderLifecycleReport {
  /** The provider's state after each step, starting with its initial state. */
  readonly states: readonly LifecycleState[];
  /** Hook stages fired, in order. */
  readonly hooks: readonly LifecycleHookStage[];
  /** The health report taken while active (absent when a step failed first). */
  readonly health: ProviderHealth | undefined;
  /** Each command's result, in order. */
  readonly results: readonly { readonly id: string; readonly result: CommandResult }[];
  /** The error of the first failed step, when one failed (the run stops there). */
  readonly error: Error | undefined;
}

/**
 * Drives a provider through its whole life — initialize, start, health check, the given commands,
 * stop, destroy — recording states, hooks, health and results. Never throws: a failing step ends
 * the run and is reported in `error`.
 */
export async function runProviderLifecycle(
  provider: InfrastructureProvider,
  options: RunProviderLifecycleOptions = {},
): Promise<ProviderLifecycleReport> {
  const states: LifecycleState[] = [provider.state];
  const hooks: LifecycleHookStage[] = [];
  const results: { id: string; result: CommandResult }[] = [];
  let health: ProviderHealth | undefined;
  const unsubscribe = LIFECYCLE_HOOK_STAGES.map((stage) =>
    provider.onLifecycle(stage, () => {
      hooks.push(stage);
    }),
  );
  const method = provider.meta.authMethods[0] ?? "custom";
  const auth = options.auth ?? { method, credentials: {}, options: {} };
  const steps: (() => Promise<unknown>)[] = [
    () => provider.initialize(auth),
    () => provider.start(),
    async () => {
      health = await provider.healthCheck();
      for (const run of options.commands ?? []) {
        results.push({
          id: run.id,
          result: await provider.executeCommand(run.id, run.params ?? {}, run.context ?? {}),
        });
      }
    },
    () => provider.stop(),
    () => provider.destroy(),
  ];
  let error: Error | undefined;
  try {
    for (const step of steps) {
      await step();
      if (states.at(-1) !== provider.state) states.push(provider.state);
    }
  } catch (caught) {
    error = toError(caught);
    states.push(provider.state);
  } finally {
    for (const off of unsubscribe) off();
  }
  return { states, hooks, health, results, error };
}

/** Thrown by {@link expectSuccess} and {@link expectFailure} when a result is not what was expected. */
export class ResultExpectationError extends Error {
  /** The result that did not match. */
  readonly result: unknown;

  constructor(message: string, result: unknown) {
    super(message);
    this.name = "ResultExpectationError";
    this.result = result;
  }
}

/**
 * Checks the data of a success for {@link expectSuccess}: a type guard, or anything with a
 * `parse(data)` that returns the typed value or throws (a zod schema, say).
 */
export type SuccessDataCheck<T> = ((data: unknown) => data is T) | { parse(data: unknown): T };

/**
 * Asserts `result` succeeded and returns its data (works with any test runner). The data is typed
 * from a typed result (`CommandResult<T>`); for the untyped result `executeCommand` gives, pass a
 * {@link SuccessDataCheck} — `expectSuccess(result, isDatabase)` or `expectSuccess(result, schema)`
 * — and the data is checked at run time and returned as `T`.
 * @throws ResultExpectationError when the result failed or the data fails `check`.
 */
export function expectSuccess<T>(result: CommandResult<T>): T;
export function expectSuccess<T>(result: CommandResult, check: SuccessDataCheck<T>): T;
export function expectSuccess<T>(result: CommandResult, check?: SuccessDataCheck<T>): unknown {
  if (!result.success) {
    throw new ResultExpectationError(
      `expected success, got failure ${result.error.code}: ${result.error.message}`,
      result,
    );
  }
  if (check === undefined) return result.data;
  if (typeof check === "function") {
    if (check(result.data)) return result.data;
    throw new ResultExpectationError("expected success data to pass the check, it did not", result);
  }
  try {
    return check.parse(result.data);
  } catch (error) {
    throw new ResultExpectationError(`expected success data to parse: ${toError(error).message}`, result);
  }
}

/** Asserts `result` failed (with `code`, when given) and returns its error (works with any test runner). */
export function expectFailure(result: CommandResult, code?: string): CommandError {
  if (result.success) throw new ResultExpectationError("expected failure, got success", result);
  if (code !== undefined && result.error.code !== code) {
    throw new ResultExpectationError(
      `expected failure ${code}, got ${result.error.code}: ${result.error.message}`,
      result,
    );
  }
  return result.error;
}
