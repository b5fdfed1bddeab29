import {
  HEALTH_STATUSES,
  canTransition,
  commandDefinitionSchema,
  isRecord,
  providerMetaSchema,
  summarizeHealth,
  toError,
  toValidationIssues,
} from "@espada/infra-core";
import type {
  CommandDefinition,
  CommandParameter,
  CommandResult,
  InfrastructureProvider,
  LifecycleState,
  LifecycleTransition,
  ProviderAuth,
  ProviderFactory,
  ProviderHealth,
} from "@espada/infra-core";
import { createMockLogger } from "./helpers.js";
import { createInMemoryHost } from "./host.js";
import type { HostCallContext, InMemoryHost } from "./host.js";

/** Options of {@link providerConformanceChecks}: how to make the provider under test, and what it may be called with. */
export interface ConformanceOptions {
  /**
   * Creates a fresh provider for each check — the same factory the registry gets (`{ instanceId,
   * settings, logger }`). Each check creates its own instance and shuts it down at the end.
   */
  readonly factory: ProviderFactory;
  /** Credentials for `initialize`. Default: the provider's first auth method with no credentials. */
  readonly auth?: ProviderAuth;
  /** Provider settings handed to the factory and to `validateConfig`. Default `{}`. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /**
   * Valid params to run each command with, by command id. Without one, a command runs with its
   * first `example`, else with params generated from its declaration (required params only: the
   * first `enum` value, `min`, `"conformance"`…; a `secret` gets a sentinel value the suite then
   * looks for in logs and results). A command with no usable params is only checked for refusals.
   */
  readonly samples?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Ids of commands never run for real (their refusals — bad params, unsupported dry run — are still checked). */
  readonly skipRuns?: readonly string[];
  /**
   * Values that must never appear in a log line, a result, a health report or a progress update.
   * Always added: every string of `auth.credentials` and the values given to `secret` or
   * `sensitive` params. Values shorter than 4 characters are ignored (too common to search for).
   */
  readonly secrets?: readonly string[];
  /**
   * What a dry run must leave unchanged, read before and after it. Default: `provider.getResources()`.
   * A provider whose effects live elsewhere (files, a remote API) returns them here.
   */
  readonly snapshot?: (provider: InfrastructureProvider) => unknown;
  /**
   * How long, in ms, a correct provider may take to answer after its signal aborted or its time
   * limit passed (default 30 000). It only bounds how long a non-conforming provider is waited for:
   * a conforming one answers as soon as it sees the signal, however slow the machine.
   */
  readonly grace?: number;
}

/** One named check of the conformance suite; `run` rejects with a {@link ConformanceViolation} listing what to fix. */
export interface ConformanceCheck {
  readonly name: string;
  run(): Promise<void>;
}

/** One problem a check found, and what to change. */
export interface ConformanceProblem {
  /** What was observed (`command "create": a dry run changed the provider's resources`). */
  readonly problem: string;
  /** What to change so the check passes. */
  readonly fix: string;
}

/** Thrown by a conformance check: every problem it found, each with its fix. */
export class ConformanceViolation extends Error {
  /** Stable code of this error. */
  readonly code = "CONFORMANCE_VIOLATION";
  /** The check that failed. */
  readonly check: string;
  /** Every problem found, in order. */
  readonly problems: readonly ConformanceProblem[];

  constructor(check: string, problems: readonly ConformanceProblem[], options: { cause?: unknown } = {}) {
    super(
      `${check}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${problems.map((p, i) => `  ${i + 1}. ${p.problem}\n     fix: ${p.fix}`).join("\n")}`,
      options,
    );
    this.name = "ConformanceViolation";
    this.check = check;
    this.problems = problems;
  }
}

/** The parts of a test runner the suite needs: vitest's, jest's, mocha's and `node:test`'s `describe`/`it` all fit. */
export interface ConformanceHarness {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
}

/** The outcome of {@link checkProviderConformance}. */
export interface ConformanceReport {
  /** True when every check passed. */
  readonly ok: boolean;
  /** Names of the checks that passed. */
  readonly passed: readonly string[];
  /** The checks that failed, with their violation (or whatever else they threw). */
  readonly failed: readonly { readonly name: string; readonly error: Error }[];
}

/** Names of the checks, in the order {@link providerConformanceChecks} returns them. */
export const CONFORMANCE_CHECKS = [
  "meta and every command definition are valid",
  "lifecycle follows the transition table",
  "health checks answer a well-formed report in every state",
  "every command validates its parameters before it runs",
  "dry runs are honoured",
  "cancellation is honoured",
  "time limits are honoured",
  "errors are failure results, never throws",
  "no secret appears in logs, results, health or progress",
] as const;

const DEFAULT_GRACE = 30_000;
const SETTLED_LATE = Symbol("not settled in time");
const MIN_SECRET_LENGTH = 4;

/** A wrong value for a parameter of each type (never valid for it). */
const WRONG_VALUE: Readonly<Record<CommandParameter["type"], unknown>> = {
  string: 12345,
  number: "not-a-number",
  boolean: "not-a-boolean",
  array: "not-an-array",
  object: "not-an-object",
  file: 12345,
  secret: 12345,
  "resource-ref": 12345,
};

interface Run {
  readonly host: InMemoryHost;
  readonly provider: InfrastructureProvider;
  readonly problems: ConformanceProblem[];
  readonly secret: string;
}

/**
 * The conformance suite of a provider, as a runner-neutral list of named checks: lifecycle legality,
 * health result shape, every command declared and its parameters validated, dry runs honoured,
 * cancellation honoured, time limits honoured, errors returned as failure results rather than
 * thrown, and no secret in logs or results. Each check creates a fresh provider through an
 * {@link InMemoryHost} and rejects with a {@link ConformanceViolation} naming each problem and its fix.
 * No verdict depends on the machine's speed: waits only bound how long a non-conforming provider is
 * given (`grace`), and cancellation is judged by whether the provider answered once its signal aborted.
 *
 * @example
 * ```ts
 * import { test } from "node:test"; // or: import { test } from "vitest";
 * import { createSimpleProvider, defineProvider } from "@espada/infra-sdk";
 * import { providerConformanceChecks } from "@espada/infra-sdk/testing";
 *
 * const meta = defineProvider().id("my-cloud").name("My Cloud").version("1.0.0").category("cloud").authMethods("api-key").build();
 * for (const check of providerConformanceChecks({ factory: ({ logger }) => createSimpleProvider({ meta, logger }) })) {
 *   test(check.name, () => check.run());
 * }
 * ```
 */
export function providerConformanceChecks(options: ConformanceOptions): ConformanceCheck[] {
  if (typeof options.factory !== "function")
    throw new TypeError(
      "providerConformanceChecks: options.factory must be a function creating the provider",
    );
  const bodies: Record<
    (typeof CONFORMANCE_CHECKS)[number],
    (o: ConformanceOptions) => Promise<ConformanceProblem[]>
  > = {
    "meta and every command definition are valid": checkDefinitions,
    "lifecycle follows the transition table": checkLifecycle,
    "health checks answer a well-formed report in every state": checkHealth,
    "every command validates its parameters before it runs": checkValidation,
    "dry runs are honoured": checkDryRun,
    "cancellation is honoured": checkCancellation,
    "time limits are honoured": checkTimeouts,
    "errors are failure results, never throws": checkFailuresAreResults,
    "no secret appears in logs, results, health or progress": checkSecrets,
  };
  return CONFORMANCE_CHECKS.map((name) => ({
    name,
    run: async () => {
      const found = await bodies[name](options);
      const problems = found.filter(
        (p, i) => found.findIndex((q) => q.problem === p.problem && q.fix === p.fix) === i,
      );
      if (problems.length > 0) throw new ConformanceViolation(name, problems);
    },
  }));
}

/**
 * Registers every check of {@link providerConformanceChecks} as a test under `describe(title)`:
 * `runProviderConformance({ describe, it }, "my-cloud conforms", { factory })` — with `describe`/`it`
 * from vitest, jest, mocha or `node:test`.
 */
export function runProviderConformance(
  harness: ConformanceHarness,
  title: string,
  options: ConformanceOptions,
): void {
  const checks = providerConformanceChecks(options);
  harness.describe(title, () => {
    for (const check of checks) harness.it(check.name, () => check.run());
  });
}

/** Runs every check one after the other, without a test runner, and reports which passed and which failed. */
export async function checkProviderConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const passed: string[] = [];
  const failed: { name: string; error: Error }[] = [];
  for (const check of providerConformanceChecks(options)) {
    try {
      await check.run();
      passed.push(check.name);
    } catch (error) {
      failed.push({ name: check.name, error: toError(error) });
    }
  }
  return { ok: failed.length === 0, passed, failed };
}

// ---------------------------------------------------------------------------------------------
// the checks

async function checkDefinitions(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, false, async ({ provider, problems }) => {
    const meta = providerMetaSchema.safeParse(provider.meta, { reportInput: true });
    if (!meta.success) {
      for (const issue of toValidationIssues(meta.error.issues, "meta")) {
        problems.push({
          problem: `${issue.path ?? "meta"}: ${issue.message}`,
          fix: "build the meta with defineProvider()…build(), which checks every field",
        });
      }
    }
    const before = await attempt(() => provider.getCommands());
    if (!before.ok) {
      problems.push({
        problem: `getCommands() threw: ${before.error.message}`,
        fix: "getCommands() must return the declared definitions in every state, without throwing",
      });
      return;
    }
    const seen = new Set<string>();
    before.value.forEach((command, index) => {
      const parsed = commandDefinitionSchema.safeParse(command, { reportInput: true });
      if (!parsed.success) {
        for (const issue of toValidationIssues(parsed.error.issues, `commands[${index}]`)) {
          problems.push({
            problem: `${issue.path ?? `commands[${index}]`}: ${issue.message}`,
            fix: "build each command with defineCommand()…build(), which checks every field",
          });
        }
      }
      if (seen.has(command.id))
        problems.push({
          problem: `command id "${command.id}" is declared twice`,
          fix: "give every command a unique id",
        });
      seen.add(command.id);
    });
    const started = await attempt(() => startProvider(options, provider));
    if (!started.ok) {
      problems.push({
        problem: `could not start the provider: ${started.error.message}`,
        fix: "initialize(auth) and start() must succeed with the suite's auth and settings (pass them in the options)",
      });
      return;
    }
    const after = await attempt(() => provider.getCommands());
    const ids = (list: readonly CommandDefinition[]): string => list.map((c) => c.id).join(", ");
    if (!after.ok || ids(after.value) !== ids(before.value)) {
      problems.push({
        problem: `the commands declared while active (${after.ok ? ids(after.value) : after.error.message}) differ from those declared before initialize (${ids(before.value)})`,
        fix: "declare every command at construction: the registry reads getCommands() before it starts the provider",
      });
    }
  });
}

async function checkLifecycle(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, false, async ({ provider, problems }) => {
    const moves: LifecycleTransition[] = [];
    const off =
      typeof provider.lifecycle?.onTransition === "function"
        ? provider.lifecycle.onTransition((move) => moves.push(move))
        : undefined;
    if (off === undefined)
      problems.push({
        problem: "provider.lifecycle is not a state holder with onTransition",
        fix: "expose core's LifecycleStateMachine as `lifecycle` (BaseInfrastructureProvider does)",
      });
    try {
      expectState(
        problems,
        provider,
        "uninitialized",
        "a new provider",
        "a provider must start in uninitialized",
      );
      await expectRefused(problems, provider, "start() before initialize()", () => provider.start());
      await expectRefused(problems, provider, "stop() before initialize()", () => provider.stop());
      const auth = authOf(options, provider);
      const steps: readonly [string, () => Promise<void>, LifecycleState][] = [
        ["initialize(auth)", () => provider.initialize(auth), "ready"],
        ["start()", () => provider.start(), "active"],
        ["stop()", () => provider.stop(), "suspended"],
        ["start() after stop()", () => provider.start(), "active"],
        ["destroy() while active", () => provider.destroy(), "terminated"],
      ];
      for (const [what, step, expected] of steps) {
        const done = await attempt(step);
        if (!done.ok) {
          problems.push({
            problem: `${what} threw: ${done.error.message}`,
            fix: `${what} must succeed and end in ${expected} (pass the auth and settings the provider needs in the options)`,
          });
          return;
        }
        expectState(problems, provider, expected, `after ${what}`, `${what} must end in ${expected}`);
      }
      await expectRefused(problems, provider, "initialize() after destroy()", () =>
        provider.initialize(auth),
      );
      for (const move of moves) {
        if (!canTransition(move.from, move.to)) {
          problems.push({
            problem: `the state moved ${move.from} → ${move.to}, which core's transition table does not allow`,
            fix: "move the state only along LIFECYCLE_TRANSITIONS (core's LifecycleStateMachine refuses other moves)",
          });
        }
      }
    } finally {
      off?.();
    }
  });
}

async function checkHealth(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, false, async ({ provider, problems }) => {
    const look = async (when: string, active: boolean): Promise<void> => {
      const got = await attempt(() => provider.healthCheck());
      if (!got.ok) {
        problems.push({
          problem: `healthCheck() ${when} threw: ${got.error.message}`,
          fix: "healthCheck() must always resolve to a report; turn a failed probe into an unhealthy item",
        });
        return;
      }
      problems.push(...healthShapeProblems(got.value, when, active));
    };
    await look("before initialize()", false);
    const started = await attempt(() => startProvider(options, provider));
    if (!started.ok) {
      problems.push({
        problem: `could not start the provider: ${started.error.message}`,
        fix: "initialize(auth) and start() must succeed with the suite's auth and settings",
      });
      return;
    }
    await look("while active", true);
    await attempt(() => provider.stop());
    await look("while suspended", false);
    await attempt(() => provider.destroy());
    await look("after destroy()", false);
  });
}

async function checkValidation(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, true, async ({ host, provider, problems, secret }) => {
    const unknown = await call(host, "conformance-no-such-command", {}, {}, options);
    if (unknown.kind !== "result" || unknown.result.success || unknown.result.error.code !== "NOT_FOUND") {
      problems.push({
        problem: `an undeclared command id answered ${describeOutcome(unknown)}`,
        fix: 'answer an unknown command id with failure("NOT_FOUND", …)',
      });
    }
    for (const command of commandsOf(provider)) {
      const base = sampleFor(options, command, secret) ?? {};
      for (const param of command.parameters) {
        const before = await snapshotOf(options, provider);
        const outcome = await call(
          host,
          command.id,
          { ...base, [param.name]: WRONG_VALUE[param.type] },
          { confirmed: true },
          options,
        );
        expectRefusal(
          problems,
          outcome,
          command,
          param.name,
          `params.${param.name} of type ${param.type} given ${JSON.stringify(WRONG_VALUE[param.type])}`,
        );
        await expectUnchanged(
          problems,
          options,
          provider,
          before,
          `command "${command.id}" given a bad params.${param.name}`,
          "validate every parameter against its declaration before running anything (core's InfrastructureCommandValidator)",
        );
        if (param.required && param.default === undefined) {
          const { [param.name]: _dropped, ...missing } = base;
          const absent = await call(host, command.id, missing, { confirmed: true }, options);
          expectRefusal(problems, absent, command, param.name, `the required params.${param.name} left out`);
        }
      }
    }
  });
}

async function checkDryRun(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, true, async ({ host, provider, problems, secret }) => {
    for (const command of commandsOf(provider)) {
      const sample = sampleFor(options, command, secret);
      const supported = command.supportsDryRun === true;
      if (supported && (sample === undefined || skipped(options, command))) continue;
      const before = await snapshotOf(options, provider);
      const outcome = await call(host, command.id, sample ?? {}, { dryRun: true, confirmed: true }, options);
      if (outcome.kind !== "result") {
        problems.push({
          problem: `command "${command.id}" run as a dry run answered ${describeOutcome(outcome)}`,
          fix: "resolve every call to a command result",
        });
        continue;
      }
      const result = outcome.result;
      if (supported) {
        if (!result.success && result.error.code === "DRY_RUN_UNSUPPORTED") {
          problems.push({
            problem: `command "${command.id}" declares supportsDryRun but refused a dry run`,
            fix: "simulate when context.dryRun is true, or stop declaring supportsDryRun",
          });
        }
        if (result.dryRun !== true) {
          problems.push({
            problem: `command "${command.id}" answered a dry run with dryRun: ${String(result.dryRun)}`,
            fix: "set dryRun: true on the result of a dry run (BaseInfrastructureProvider does)",
          });
        }
      } else if (result.success || result.error.code !== "DRY_RUN_UNSUPPORTED") {
        problems.push({
          problem: `command "${command.id}" does not declare supportsDryRun but answered a dry run with ${describeOutcome(outcome)}`,
          fix: 'refuse a dry run of a command that cannot simulate with failure("DRY_RUN_UNSUPPORTED", …), before running anything',
        });
      }
      await expectUnchanged(
        problems,
        options,
        provider,
        before,
        `a dry run of "${command.id}"`,
        "when context.dryRun is true, report what would happen and change nothing",
      );
    }
  });
}

async function checkCancellation(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, true, async ({ host, provider, problems, secret }) => {
    const grace = graceOf(options);
    for (const command of commandsOf(provider)) {
      const sample = sampleFor(options, command, secret);
      if (sample === undefined || skipped(options, command)) continue;
      const before = await snapshotOf(options, provider);
      const early = new AbortController();
      early.abort(new Error("cancelled by the conformance suite"));
      const refused = await call(
        host,
        command.id,
        sample,
        { confirmed: true, signal: early.signal },
        options,
      );
      if (refused.kind !== "result" || refused.result.success || refused.result.error.code !== "CANCELLED") {
        problems.push({
          problem: `command "${command.id}" called with an already aborted signal answered ${describeOutcome(refused)}`,
          fix: 'check context.signal before starting work and answer failure("CANCELLED", …) when it is aborted',
        });
      }
      await expectUnchanged(
        problems,
        options,
        provider,
        before,
        `command "${command.id}" called with an already aborted signal`,
        "do nothing once context.signal is aborted",
      );
      const controller = new AbortController();
      const pending = host.execute(command.id, sample, { confirmed: true, signal: controller.signal });
      let settled = false;
      pending.then(
        () => (settled = true),
        () => (settled = true),
      );
      await nextMacrotask();
      if (settled) continue; // it finished before there was anything to cancel
      controller.abort(new Error("cancelled by the conformance suite"));
      const outcome = await within(pending, grace);
      if (outcome.kind === "late") {
        problems.push({
          problem: `command "${command.id}" had not answered ${grace} ms after its signal aborted`,
          fix: 'pass context.signal to your I/O and stop when it aborts (or let BaseInfrastructureProvider abandon the run); answer failure("CANCELLED", …)',
        });
      } else if (outcome.kind === "threw") {
        problems.push({
          problem: `command "${command.id}" threw when cancelled: ${outcome.error.message}`,
          fix: 'answer failure("CANCELLED", …) instead of throwing',
        });
      }
    }
  });
}

async function checkTimeouts(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, true, async ({ host, provider, problems, secret }) => {
    const grace = graceOf(options);
    for (const command of commandsOf(provider)) {
      if (command.timeout === undefined) continue;
      const sample = sampleFor(options, command, secret);
      if (sample === undefined || skipped(options, command)) continue;
      const outcome = await within(
        host.execute(command.id, sample, { confirmed: true }),
        command.timeout + grace,
      );
      if (outcome.kind === "late") {
        problems.push({
          problem: `command "${command.id}" declares timeout ${command.timeout} ms but had not answered ${command.timeout + grace} ms later`,
          fix: 'enforce the declared timeout: abort the work when it passes and answer failure("TIMEOUT", …) (BaseInfrastructureProvider does)',
        });
      } else if (outcome.kind === "threw") {
        problems.push({
          problem: `command "${command.id}" threw: ${outcome.error.message}`,
          fix: "resolve every call to a command result",
        });
      }
    }
  });
}

async function checkFailuresAreResults(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, false, async ({ host, provider, problems, secret }) => {
    const commands = commandsOf(provider);
    const first = commands[0];
    for (const config of [42, null, "settings", []] as const) {
      const got = await attempt(() => provider.validateConfig(config));
      if (!got.ok) {
        problems.push({
          problem: `validateConfig(${JSON.stringify(config)}) threw: ${got.error.message}`,
          fix: "answer a bad config with { valid: false, errors: [{ code, message, path }] }, never a throw",
        });
      } else if (!isConfigResult(got.value)) {
        problems.push({
          problem: `validateConfig(${JSON.stringify(config)}) answered ${show(got.value)}`,
          fix: "answer { valid, errors, warnings } (the sdk's validation.ok() / validation.error())",
        });
      }
    }
    if (first !== undefined) {
      const idle = await call(
        host,
        first.id,
        sampleFor(options, first, secret) ?? {},
        { confirmed: true },
        options,
      );
      if (idle.kind !== "result" || idle.result.success) {
        problems.push({
          problem: `command "${first.id}" run before initialize() answered ${describeOutcome(idle)}`,
          fix: 'answer a command on a provider that is not active with failure("NOT_ACTIVE", …)',
        });
      }
    }
    const started = await attempt(() => startProvider(options, provider));
    if (!started.ok) {
      problems.push({
        problem: `could not start the provider: ${started.error.message}`,
        fix: "initialize(auth) and start() must succeed with the suite's auth and settings",
      });
      return;
    }
    for (const command of commands) {
      const sample = sampleFor(options, command, secret);
      if (sample === undefined || skipped(options, command)) continue;
      const outcome = await call(host, command.id, sample, { confirmed: true }, options);
      if (outcome.kind !== "result") {
        problems.push({
          problem: `command "${command.id}" answered ${describeOutcome(outcome)}`,
          fix: 'catch what the work throws and answer failure(code, message) (BaseInfrastructureProvider turns a throw into "PROVIDER_FAILED")',
        });
      } else if (!outcome.result.success && outcome.result.error.code === "VALIDATION_FAILED") {
        problems.push({
          problem: `command "${command.id}" refused the suite's sample params: ${outcome.result.error.message}`,
          fix: `give valid params in options.samples["${command.id}"] (or an example on the command)`,
        });
      }
    }
  });
}

async function checkSecrets(options: ConformanceOptions): Promise<ConformanceProblem[]> {
  return withProvider(options, false, async ({ host, provider, problems, secret }) => {
    const auth = authOf(options, provider);
    const secrets = new Map<string, string>();
    const add = (value: unknown, label: string): void => {
      if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH && !secrets.has(value))
        secrets.set(value, label);
    };
    add(secret, "the secret the suite passed to a secret param");
    for (const value of options.secrets ?? []) add(value, "a value in options.secrets");
    collectStrings(auth.credentials, "auth.credentials", add);
    const outputs: { where: string; value: unknown }[] = [];
    const commands = commandsOf(provider);
    const started = await attempt(() => startProvider(options, provider));
    if (!started.ok) {
      problems.push({
        problem: `could not start the provider: ${started.error.message}`,
        fix: "initialize(auth) and start() must succeed with the suite's auth and settings",
      });
      return;
    }
    const health = await attempt(() => provider.healthCheck());
    if (health.ok) outputs.push({ where: "the health report", value: health.value });
    for (const command of commands) {
      const sample = sampleFor(options, command, secret);
      for (const param of command.parameters)
        if ((param.sensitive || param.type === "secret") && sample !== undefined)
          add(sample[param.name], `params.${param.name} of "${command.id}"`);
      const runs: [string, Record<string, unknown>, HostCallContext][] = [];
      if (sample !== undefined) {
        if (!skipped(options, command)) runs.push(["run", sample, { confirmed: true }]);
        if (command.supportsDryRun === true)
          runs.push(["dry run", sample, { confirmed: true, dryRun: true }]);
        const plain = command.parameters.find((p) => !p.sensitive && p.type !== "secret");
        if (plain !== undefined)
          runs.push([
            `call with a bad params.${plain.name}`,
            { ...sample, [plain.name]: WRONG_VALUE[plain.type] },
            { confirmed: true },
          ]);
      }
      for (const [what, params, context] of runs) {
        const outcome = await call(host, command.id, params, context, options);
        if (outcome.kind === "result")
          outputs.push({ where: `the result of the ${what} of "${command.id}"`, value: outcome.result });
      }
    }
    await attempt(() => host.shutdown());
    for (const update of host.progress) outputs.push({ where: "a progress update", value: update });
    host.logger.entries.forEach((entry, index) =>
      outputs.push({
        where: `log line ${index + 1} (${entry.level} "${entry.message.slice(0, 60)}")`,
        value: entry,
      }),
    );
    for (const { where, value } of outputs) {
      const text = show(value);
      for (const [needle, label] of secrets) {
        if (text.includes(needle)) {
          problems.push({
            problem: `${where} contains ${label}`,
            fix: "never log or return a secret: mark it sensitive (secretParam) and log its name, not its value",
          });
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Creates a fresh provider in an in-memory host (started when `start`), runs `body`, and always shuts it down. */
async function withProvider(
  options: ConformanceOptions,
  start: boolean,
  body: (run: Run) => Promise<void>,
): Promise<ConformanceProblem[]> {
  const problems: ConformanceProblem[] = [];
  const host = createInMemoryHost(options.factory, {
    logger: createMockLogger(),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
  });
  const created = await attempt(() => host.create());
  if (!created.ok) {
    return [
      {
        problem: `the factory or validateConfig(settings) failed: ${created.error.message}`,
        fix: "pass settings the provider accepts in options.settings; the factory must return a provider",
      },
    ];
  }
  const secret = `cs-${globalThis.crypto.randomUUID()}`;
  try {
    if (start) {
      const started = await attempt(() => startProvider(options, created.value));
      if (!started.ok) {
        return [
          {
            problem: `could not start the provider: ${started.error.message}`,
            fix: "initialize(auth) and start() must succeed with the suite's auth and settings (pass them in the options)",
          },
        ];
      }
    }
    await body({ host, provider: created.value, problems, secret });
  } finally {
    await within(host.shutdown(), graceOf(options));
  }
  return problems;
}

function graceOf(options: ConformanceOptions): number {
  return options.grace ?? DEFAULT_GRACE;
}

function authOf(options: ConformanceOptions, provider: InfrastructureProvider): ProviderAuth {
  return options.auth ?? { method: provider.meta.authMethods[0] ?? "custom", credentials: {}, options: {} };
}

async function startProvider(options: ConformanceOptions, provider: InfrastructureProvider): Promise<void> {
  await provider.initialize(authOf(options, provider));
  await provider.start();
}

function commandsOf(provider: InfrastructureProvider): readonly CommandDefinition[] {
  try {
    return provider.getCommands();
  } catch {
    return [];
  }
}

function skipped(options: ConformanceOptions, command: CommandDefinition): boolean {
  return options.skipRuns?.includes(command.id) ?? false;
}

async function snapshotOf(options: ConformanceOptions, provider: InfrastructureProvider): Promise<string> {
  try {
    return show(
      await (
        options.snapshot ??
        ((p: InfrastructureProvider) => p.getResources().map(({ updatedAt: _u, ...rest }) => rest))
      )(provider),
    );
  } catch (error) {
    return `snapshot failed: ${toError(error).message}`;
  }
}

async function expectUnchanged(
  problems: ConformanceProblem[],
  options: ConformanceOptions,
  provider: InfrastructureProvider,
  before: string,
  what: string,
  fix: string,
): Promise<void> {
  const after = await snapshotOf(options, provider);
  if (after !== before)
    problems.push({
      problem: `${what} changed what the provider manages (before ${clip(before)}, after ${clip(after)})`,
      fix,
    });
}

/**
 * Valid params for `command`: the author's sample, else its first example, else params generated
 * from the declaration (`undefined` when a required param cannot be generated).
 */
function sampleFor(
  options: ConformanceOptions,
  command: CommandDefinition,
  secret: string,
): Record<string, unknown> | undefined {
  const given = options.samples?.[command.id] ?? command.examples[0]?.params;
  if (given !== undefined) return { ...given };
  const out: Record<string, unknown> = {};
  for (const param of command.parameters) {
    if (param.default !== undefined) continue;
    if (!param.required && param.type !== "secret") continue;
    const value = generate(param, secret);
    if (value === undefined) {
      if (param.required) return undefined;
      continue;
    }
    out[param.name] = value;
  }
  return out;
}

function generate(param: CommandParameter, secret: string): unknown {
  const choices = param.enum;
  if (choices !== undefined && choices.length > 0) return choices[0];
  const matches = (value: string): boolean => {
    if (param.pattern === undefined) return true;
    try {
      return new RegExp(param.pattern).test(value);
    } catch {
      return false;
    }
  };
  const text = (value: string): string | undefined => {
    const long = param.min === undefined || value.length >= param.min;
    const short = param.max === undefined || value.length <= param.max;
    return long && short && matches(value) ? value : undefined;
  };
  switch (param.type) {
    case "string":
      return text("conformance");
    case "secret":
      return text(secret);
    case "file":
      return text("conformance.txt");
    case "resource-ref":
      return text("conformance-resource");
    case "number":
      return param.min ?? (param.max !== undefined && param.max < 1 ? param.max : 1);
    case "boolean":
      return false;
    case "array":
      return param.min === undefined || param.min === 0 ? [] : undefined;
    case "object":
      return {};
  }
}

type Outcome =
  | { readonly kind: "result"; readonly result: CommandResult }
  | { readonly kind: "malformed"; readonly value: unknown }
  | { readonly kind: "threw"; readonly error: Error }
  | { readonly kind: "late" };

/** Runs a command through the host, bounded by the grace period, and classifies what came back. */
async function call(
  host: InMemoryHost,
  commandId: string,
  params: Record<string, unknown>,
  context: HostCallContext,
  options: ConformanceOptions,
): Promise<Outcome> {
  const outcome = await within(
    Promise.resolve().then(() => host.execute(commandId, params, context)),
    graceOf(options),
  );
  if (outcome.kind !== "value") return outcome;
  return isCommandResult(outcome.value)
    ? { kind: "result", result: outcome.value }
    : { kind: "malformed", value: outcome.value };
}

function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case "result":
      return outcome.result.success
        ? "success"
        : `failure ${outcome.result.error.code} (${outcome.result.error.message})`;
    case "malformed":
      return `something that is not a command result: ${clip(show(outcome.value))}`;
    case "threw":
      return `by throwing ${outcome.error.name}: ${outcome.error.message}`;
    case "late":
      return "nothing within the grace period";
  }
}

function expectRefusal(
  problems: ConformanceProblem[],
  outcome: Outcome,
  command: CommandDefinition,
  name: string,
  what: string,
): void {
  if (
    outcome.kind !== "result" ||
    outcome.result.success ||
    outcome.result.error.code !== "VALIDATION_FAILED"
  ) {
    problems.push({
      problem: `command "${command.id}" with ${what} answered ${describeOutcome(outcome)}`,
      fix: 'validate params against the declaration before running and answer failure("VALIDATION_FAILED", …) naming the field',
    });
    return;
  }
  const error = outcome.result.error;
  if (!show(error).includes(name)) {
    problems.push({
      problem: `command "${command.id}" refused ${what} without naming the field: ${error.message}`,
      fix: `name the field (params.${name}) in the message or in details.issues[].path`,
    });
  }
}

async function expectRefused(
  problems: ConformanceProblem[],
  provider: InfrastructureProvider,
  what: string,
  step: () => Promise<void>,
): Promise<void> {
  const before = provider.state;
  const done = await attempt(step);
  if (done.ok) {
    problems.push({
      problem: `${what} succeeded (state ${before} → ${provider.state})`,
      fix: "refuse a lifecycle call the transition table does not allow: throw LifecycleTransitionError and change nothing",
    });
  } else if (provider.state !== before) {
    problems.push({
      problem: `${what} was refused but moved the state ${before} → ${provider.state}`,
      fix: "a refused lifecycle call must change nothing",
    });
  }
}

function expectState(
  problems: ConformanceProblem[],
  provider: InfrastructureProvider,
  expected: LifecycleState,
  when: string,
  fix: string,
): void {
  if (provider.state !== expected)
    problems.push({ problem: `state is ${String(provider.state)} ${when}, expected ${expected}`, fix });
  if (provider.lifecycle !== undefined && provider.lifecycle.state !== provider.state) {
    problems.push({
      problem: `state (${provider.state}) and lifecycle.state (${provider.lifecycle.state}) disagree ${when}`,
      fix: "read state from the one holder: `get state() { return this.lifecycle.state }`",
    });
  }
}

function healthShapeProblems(health: ProviderHealth, when: string, active: boolean): ConformanceProblem[] {
  const problems: ConformanceProblem[] = [];
  const fix =
    "answer { status, checks: [{ name, status, message? }], checkedAt } with statuses from HEALTH_STATUSES";
  if (!isRecord(health)) return [{ problem: `healthCheck() ${when} answered ${show(health)}`, fix }];
  const statuses: readonly unknown[] = HEALTH_STATUSES;
  if (!statuses.includes(health.status))
    problems.push({
      problem: `healthCheck() ${when}: status ${show(health.status)} is not one of ${HEALTH_STATUSES.join(", ")}`,
      fix,
    });
  if (typeof health.checkedAt !== "number" || !Number.isFinite(health.checkedAt))
    problems.push({
      problem: `healthCheck() ${when}: checkedAt is ${show(health.checkedAt)}`,
      fix: "set checkedAt to Date.now()",
    });
  if (!Array.isArray(health.checks)) {
    problems.push({ problem: `healthCheck() ${when}: checks is ${show(health.checks)}`, fix });
    return problems;
  }
  health.checks.forEach((item: unknown, index) => {
    if (
      !isRecord(item) ||
      typeof item.name !== "string" ||
      item.name === "" ||
      !statuses.includes(item.status) ||
      (item.message !== undefined && typeof item.message !== "string")
    ) {
      problems.push({
        problem: `healthCheck() ${when}: checks[${index}] is ${show(item)}`,
        fix: "each item is { name: non-empty string, status, message?: string }",
      });
    }
  });
  if (active) {
    if (health.checks.length === 0)
      problems.push({
        problem: `healthCheck() ${when} reported no checks`,
        fix: "report at least one item (createSimpleProvider's default reports one healthy item)",
      });
    else if (problems.length === 0 && health.status !== summarizeHealth(health.checks)) {
      problems.push({
        problem: `healthCheck() ${when}: status ${health.status} but its items summarize to ${summarizeHealth(health.checks)}`,
        fix: "let the worst item decide the status (core's summarizeHealth)",
      });
    }
  }
  return problems;
}

function isConfigResult(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.valid === "boolean" &&
    Array.isArray(value.errors) &&
    Array.isArray(value.warnings)
  );
}

function isCommandResult(value: unknown): value is CommandResult {
  if (!isRecord(value)) return false;
  const base =
    typeof value.duration === "number" &&
    Array.isArray(value.logs) &&
    Array.isArray(value.affectedResources) &&
    typeof value.rollbackAvailable === "boolean";
  if (value.success === true) return base && "data" in value;
  if (value.success !== false || !isRecord(value.error)) return false;
  return (
    base &&
    typeof value.error.code === "string" &&
    typeof value.error.message === "string" &&
    typeof value.error.recoverable === "boolean"
  );
}

function collectStrings(value: unknown, label: string, add: (value: unknown, label: string) => void): void {
  if (typeof value === "string") add(value, label);
  else if (Array.isArray(value))
    value.forEach((item, index) => collectStrings(item, `${label}[${index}]`, add));
  else if (isRecord(value))
    for (const [key, item] of Object.entries(value)) collectStrings(item, `${label}.${key}`, add);
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

async function attempt<T>(fn: () => T | Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: toError(error) };
  }
}

/**
 * Waits for `promise` at most `ms`. The timer is always cleared when this returns; it is not
 * `unref()`ed, so a plain script waiting on a provider that never answers still gets its verdict.
 */
async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ kind: "value"; value: T } | { kind: "threw"; error: Error } | { kind: "late" }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof SETTLED_LATE>((resolve) => {
    timer = setTimeout(() => resolve(SETTLED_LATE), ms);
  });
  try {
    const value = await Promise.race([promise, late]);
    return value === SETTLED_LATE ? { kind: "late" } : { kind: "value", value: value as T };
  } catch (error) {
    return { kind: "threw", error: toError(error) };
  } finally {
    clearTimeout(timer);
  }
}

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** JSON of anything, errors included (name, message, code, cause), cycles cut. */
function show(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) => {
        if (item instanceof Error) {
          const { name, message, cause } = item;
          return {
            name,
            message,
            ...(isRecord(item) && "code" in item ? { code: item.code } : {}),
            ...(cause === undefined ? {} : { cause }),
          };
        }
        if (typeof item === "bigint") return item.toString();
        if (typeof item === "object" && item !== null) {
          if (seen.has(item)) return "[circular]";
          seen.add(item);
        }
        return item;
      }) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
