// What the CLI, the gateway methods and the agent tools do, once: each operation has a zod input
// schema (the one validation of its arguments) and returns plain JSON data. The three front ends
// only parse their input, call these and render the result.
import { z } from "zod";
import {
  NotFoundError,
  deferred,
  registerFastParsers,
  ValidationError,
  isInfrastructureError,
  redactSecretText,
  redactSecrets,
  tieredSafeParse,
  toError,
  toValidationIssues,
} from "@espada/infra-core";
import type {
  CommandDefinition,
  ExecutionOutcome,
  GateDecision,
  InfrastructureSession,
  JsonValue,
  OperationRequest,
  ValidationIssue,
} from "@espada/infra-core";
import type { InfrastructureFramework } from "./framework.js";
import { fastParsers } from "./fastParsers.generated.js";

registerFastParsers(fastParsers);

/** Who acts, and how long operations may take. */
export interface OperationContext {
  readonly framework: InfrastructureFramework;
  /** The acting user (RBAC, approvals, audit). */
  readonly user: string;
  readonly signal?: AbortSignal;
  /** Told about progress of long operations (a TTY status line, a tool's update). */
  readonly onProgress?: (message: string, percent?: number) => void;
}

/** A failure every front end shows the same way: a code from core's catalogue, a message, the issues. */
export interface OperationError {
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly ValidationIssue[];
}

/** The outcome of an operation: data, or a typed error. Never a throw. */
export type OperationResult<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly error: OperationError; readonly data?: T };

const nonEmpty = deferred(() => z.string().trim().min(1));
/** An environment name (`development`, `staging`, `production` or one of the operator's). */
const environmentSchema = deferred(() =>
  z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9-]*$/, "must be lowercase letters, digits and dashes"),
);

/** Converts any thrown value into an {@link OperationError}: a typed error keeps its code; no stack, secrets redacted. */
export function toOperationError(error: unknown): OperationError {
  const err = toError(error);
  const message = redactSecretText(err.message);
  if (err instanceof ValidationError)
    return {
      code: err.code,
      message,
      issues: err.issues.map((i) => ({ ...i, message: redactSecretText(i.message) })),
    };
  if (isInfrastructureError(err)) return { code: err.code, message };
  return { code: "INTERNAL_ERROR", message };
}

/** Runs `work`, turning a throw into a failed result. */
async function guard<T>(work: () => Promise<OperationResult<T>>): Promise<OperationResult<T>> {
  try {
    return await work();
  } catch (error) {
    return { ok: false, error: toOperationError(error) };
  }
}

/** Parses an operation's input with its schema; issues name the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): OperationResult<z.output<S>> {
  const parsed = tieredSafeParse(schema, input ?? {}, { reportInput: true });
  if (parsed.success) return { ok: true, data: parsed.data };
  const issues = toValidationIssues(parsed.error.issues);
  const message = issues
    .map((i) => (i.path === undefined || i.path === "" ? i.message : `${i.path}: ${i.message}`))
    .join("; ");
  return {
    ok: false,
    error: { code: "VALIDATION_FAILED", message: `invalid arguments: ${message}`, issues },
  };
}

/**
 * JSON data only, with core's two secret rules applied: values under secret-looking keys
 * (`redactSecrets`) and secrets inside any text (`redactSecretText`: `apiKey=…`, bearer tokens, …),
 * so a provider's error message that quotes a credential is never shown.
 */
export function toJsonData(value: unknown): JsonValue {
  const plain = JSON.parse(JSON.stringify(redactSecrets(value) ?? null)) as JsonValue;
  return redactStrings(plain);
}

function redactStrings(value: JsonValue): JsonValue {
  if (typeof value === "string") return redactSecretText(value);
  if (Array.isArray(value)) return value.map(redactStrings);
  if (value !== null && typeof value === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = redactStrings(item);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// providers, instances, status, discover

/** Input of {@link listProviders}. */
export const providersInputSchema = deferred(() => z.strictObject({}), "infrastructure.providersInput");
/** One registered provider factory (the gateway's `infrastructure/providers` entry). */
export interface ProviderEntry {
  readonly id: string;
  readonly meta: JsonValue;
  readonly registeredAt: number;
  readonly plugin?: { readonly name: string; readonly version?: string; readonly path?: string };
}

/** Every registered factory (discovered plugins included): id, meta, registeredAt. */
export async function listProviders(
  ctx: OperationContext,
): Promise<OperationResult<{ providers: ProviderEntry[] }>> {
  return guard(async () => {
    await discoverIfEnabled(ctx);
    const providers = ctx.framework.catalogue.listProviders().map((p): ProviderEntry => ({
      id: p.id,
      meta: toJsonData(p.meta),
      registeredAt: p.registeredAt,
      ...(p.plugin === undefined
        ? {}
        : { plugin: toJsonData(p.plugin) as { name: string; version?: string; path?: string } }),
    }));
    return { ok: true, data: { providers } };
  });
}

async function discoverIfEnabled(ctx: OperationContext): Promise<void> {
  if (!ctx.framework.config.discoveryConfig.enabled) return;
  ctx.onProgress?.("discovering plugins");
  await ctx.framework.discover(ctx.signal === undefined ? {} : { signal: ctx.signal });
}

/** Input of {@link listInstances}. */
export const instancesInputSchema = deferred(
  () => z.strictObject({ provider: nonEmpty.optional() }),
  "infrastructure.instancesInput",
);
/** One provider instance (the gateway's `infrastructure/instances` entry). */
export interface InstanceEntry {
  /** The provider (factory) id. */
  readonly id: string;
  readonly instanceId: string;
  readonly state: string;
  readonly createdAt: number;
  readonly health: string;
  readonly lastError?: { readonly code?: string; readonly message: string };
}

/** Brings configured providers up (idempotent) and reports failures as problems. */
async function ensureStarted(
  ctx: OperationContext,
): Promise<{ providerId: string; code: string; message: string }[]> {
  ctx.onProgress?.("starting configured providers");
  const report = await ctx.framework.start(ctx.signal === undefined ? {} : { signal: ctx.signal });
  return [...report.failed];
}

/** Every instance: id (provider), instanceId, state, createdAt, health. */
export async function listInstances(
  ctx: OperationContext,
  input: z.output<typeof instancesInputSchema> = {},
): Promise<
  OperationResult<{
    instances: InstanceEntry[];
    problems: { providerId: string; code: string; message: string }[];
  }>
> {
  return guard(async () => {
    const problems = await ensureStarted(ctx);
    const filter = input.provider === undefined ? {} : { providerId: input.provider };
    const instances = ctx.framework.catalogue.listInstances(filter).map((i): InstanceEntry => ({
      id: i.providerId,
      instanceId: i.instanceId,
      state: i.state,
      createdAt: i.createdAt,
      health: i.health,
      ...(i.lastError === undefined
        ? {}
        : { lastError: { ...i.lastError, message: redactSecretText(i.lastError.message) } }),
    }));
    return { ok: true, data: { instances, problems } };
  });
}

/** Input of {@link frameworkStatus}. */
export const statusInputSchema = deferred(
  () =>
    z.strictObject({
      /** Run a health check of every active instance first (default true). */
      checkHealth: z.boolean().default(true),
    }),
  "infrastructure.statusInput",
);
/** Registry statistics: factories, instances, lifecycle (hooks, restarts, states), health summary. */
export interface StatusData {
  readonly factories: number;
  readonly instances: number;
  readonly instancesByState: JsonValue;
  /** Instances per health status. */
  readonly health: JsonValue;
  /** One word: `none` (no instance), else the worst of unhealthy, degraded, unknown, healthy. */
  readonly overallHealth: "none" | "healthy" | "degraded" | "unhealthy" | "unknown";
  readonly lifecycle: JsonValue;
  readonly stateDir: string;
  readonly problems: readonly { providerId: string; code: string; message: string }[];
}

/** The framework's status, after bringing configured providers up and (by default) checking their health. */
export async function frameworkStatus(
  ctx: OperationContext,
  input: z.output<typeof statusInputSchema> = { checkHealth: true },
): Promise<OperationResult<StatusData>> {
  return guard(async () => {
    const problems = await ensureStarted(ctx);
    const { registry } = ctx.framework;
    if (input.checkHealth) {
      ctx.onProgress?.("checking health");
      await Promise.all(
        registry
          .getAllInstances()
          .filter((i) => i.state === "active")
          .map((i) => registry.lifecycle.checkHealth(i.instanceId).catch(() => undefined)),
      );
    }
    const stats = registry.getStatistics();
    return {
      ok: true,
      data: {
        factories: stats.factories,
        instances: stats.instances,
        instancesByState: toJsonData(stats.instancesByState),
        health: toJsonData(stats.health),
        overallHealth: overallHealth(stats.health),
        lifecycle: toJsonData({
          hooks: stats.lifecycle.hooks,
          restarts: stats.lifecycle.restarts,
          total: stats.lifecycle.total,
        }),
        stateDir: ctx.framework.stateDir,
        problems,
      },
    };
  });
}

function overallHealth(health: Readonly<Record<string, number>>): StatusData["overallHealth"] {
  const total = Object.values(health).reduce((sum, n) => sum + n, 0);
  if (total === 0) return "none";
  for (const status of ["unhealthy", "degraded", "unknown"] as const)
    if ((health[status] ?? 0) > 0) return status;
  return "healthy";
}

/** Input of {@link discoverProviders}. */
export const discoverInputSchema = deferred(
  () => z.strictObject({ refresh: z.boolean().default(true) }),
  "infrastructure.discoverInput",
);
/** What discovery found and registered. */
export interface DiscoverData {
  readonly registered: readonly { id: string; source: string; plugin: string; version: string | null }[];
  readonly duplicates: readonly { id: string; source: string; plugin: string }[];
  readonly problems: readonly { location: string; source: string; message: string; field?: string }[];
}

/** Runs plugin discovery and registers the providers found. */
export async function discoverProviders(
  ctx: OperationContext,
  input: z.output<typeof discoverInputSchema> = { refresh: true },
): Promise<OperationResult<DiscoverData>> {
  return guard(async () => {
    if (!ctx.framework.config.discoveryConfig.enabled) {
      return {
        ok: false,
        error: { code: "INVALID_ARGUMENT", message: "discovery is off (discoveryConfig.enabled: false)" },
      };
    }
    ctx.onProgress?.("discovering plugins");
    const report = await ctx.framework.discover({
      refresh: input.refresh,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    return {
      ok: true,
      data: {
        registered: report.registered.map((r) => ({
          id: r.id,
          source: r.source,
          plugin: r.plugin.name,
          version: r.plugin.version ?? null,
        })),
        duplicates: report.duplicates.map((d) => ({ id: d.id, source: d.source, plugin: d.plugin.name })),
        problems: report.problems.map((p) => ({
          location: p.location,
          source: p.source,
          message: redactSecretText(p.message),
          ...(p.field === undefined ? {} : { field: p.field }),
        })),
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// exec, risk

/** Input of {@link execCommand}. */
export const execInputSchema = deferred(
  () =>
    z.strictObject({
      /** An instance id, or a provider id with exactly one instance. */
      provider: nonEmpty,
      command: nonEmpty,
      params: z.record(z.string(), z.unknown()).default({}),
      dryRun: z.boolean().default(false),
      environment: environmentSchema.default("development"),
      /** The caller explicitly confirms (a dangerous command, a high-risk change). */
      confirm: z.boolean().default(false),
      /** Time limit of each attempt in ms. */
      timeout: z.number().int().positive().max(2_147_483_647).optional(),
    }),
  "infrastructure.execInput",
);
/** Input of {@link execCommand} as callers write it. */
export type ExecInput = z.input<typeof execInputSchema>;

/** An operation's outcome as every front end shows it. */
export interface ExecData {
  readonly status: ExecutionOutcome["status"];
  readonly executionId: string;
  readonly instanceId: string;
  readonly commandId: string;
  readonly sessionId: string | undefined;
  readonly duration: number;
  readonly data?: JsonValue;
  readonly message?: string;
  readonly error?: JsonValue;
  readonly decision?: JsonValue;
  readonly pending?: {
    readonly id: string;
    readonly kind: string;
    readonly approvalId?: string;
    readonly reason: string;
  };
  readonly issues?: readonly ValidationIssue[];
}

/** Resolves `<provider>` to an instance: an instance id, else the one instance of that provider. */
export function resolveInstance(
  framework: InfrastructureFramework,
  provider: string,
): OperationResult<string> {
  const { catalogue } = framework;
  if (catalogue.getInstance(provider) !== undefined) return { ok: true, data: provider };
  const ofProvider = catalogue.listInstances({ providerId: provider });
  if (ofProvider.length === 1 && ofProvider[0] !== undefined)
    return { ok: true, data: ofProvider[0].instanceId };
  if (ofProvider.length > 1) {
    return {
      ok: false,
      error: {
        code: "INVALID_ARGUMENT",
        message: `provider "${provider}" has ${ofProvider.length} instances; name one: ${ofProvider.map((i) => i.instanceId).join(", ")}`,
      },
    };
  }
  // An instance is often named after its provider: each id once.
  const known = new Set([
    ...catalogue.listInstances().map((i) => i.instanceId),
    ...catalogue.listProviders().map((p) => p.id),
  ]);
  const error = new NotFoundError("instance", provider, { field: "provider", available: known });
  const hint =
    catalogue.getProvider(provider) === undefined
      ? ""
      : ` (provider "${provider}" is registered but has no instance: add it to providers[] in the config)`;
  return { ok: false, error: { code: error.code, message: `${redactSecretText(error.message)}${hint}` } };
}

/** The CLI's session of a user in an environment: the newest active one, else a new one. */
export async function sessionFor(
  framework: InfrastructureFramework,
  user: string,
  environment: string,
): Promise<InfrastructureSession> {
  const sessions = await framework.sessions();
  const active = await sessions.listSessions({ userId: user, environment, state: "active" });
  const newest = active.sort((a, b) => b.lastActivityAt - a.lastActivityAt)[0];
  return newest ?? sessions.createSession({ userId: user, environment });
}

/** Shapes an executor outcome for display (secrets redacted). */
export function describeOutcome(outcome: ExecutionOutcome): ExecData {
  const base = {
    status: outcome.status,
    executionId: outcome.executionId,
    instanceId: outcome.instanceId,
    commandId: outcome.commandId,
    sessionId: outcome.sessionId,
    duration: outcome.duration,
  };
  switch (outcome.status) {
    case "succeeded":
      return { ...base, data: toJsonData(outcome.result.data), decision: describeDecision(outcome.decision) };
    case "pending":
      return {
        ...base,
        pending: {
          id: outcome.pending.id,
          kind: outcome.pending.kind,
          reason: redactSecretText(outcome.pending.reason),
          ...(outcome.pending.approvalId === undefined ? {} : { approvalId: outcome.pending.approvalId }),
        },
        ...(outcome.decision === undefined ? {} : { decision: describeDecision(outcome.decision) }),
      };
    case "invalid":
      return {
        ...base,
        error: toJsonData(outcome.result.error),
        issues: outcome.issues.map((i) => ({ ...i, message: redactSecretText(i.message) })),
      };
    case "denied":
      return {
        ...base,
        error: toJsonData(outcome.result.error),
        decision: describeDecision(outcome.decision),
      };
    default:
      return {
        ...base,
        error: toJsonData(outcome.result.error),
        ...(outcome.decision === undefined ? {} : { decision: describeDecision(outcome.decision) }),
      };
  }
}

function describeDecision(decision: GateDecision): JsonValue {
  return toJsonData({
    outcome: decision.outcome,
    risk: decision.risk,
    reasons: decision.reasons,
    ...(decision.outcome === "needs-approval" ? { approvalId: decision.approvalId } : {}),
  });
}

/** An outcome that ran or waits is a success for the caller; denied, invalid, failed and cancelled are failures. */
export function outcomeResult(data: ExecData): OperationResult<ExecData> {
  if (data.status === "succeeded" || data.status === "pending") return { ok: true, data };
  const error = (data.error ?? {}) as { code?: unknown; message?: unknown };
  return {
    ok: false,
    data,
    error: {
      code:
        typeof error.code === "string"
          ? error.code
          : data.status === "denied"
            ? "SECURITY_DENIED"
            : "PROVIDER_FAILED",
      message:
        typeof error.message === "string" ? redactSecretText(error.message) : `operation ${data.status}`,
      ...(data.issues === undefined ? {} : { issues: data.issues }),
    },
  };
}

/** Runs one command through the whole path: validation → security gate → audit → provider → session history. */
export async function execCommand(
  ctx: OperationContext,
  input: z.output<typeof execInputSchema>,
): Promise<OperationResult<ExecData>> {
  return guard(async () => {
    const problems = await ensureStarted(ctx);
    const instance = resolveInstance(ctx.framework, input.provider);
    if (!instance.ok) {
      const failed = problems.find((p) => p.providerId === input.provider);
      return failed === undefined
        ? { ok: false, error: instance.error }
        : {
            ok: false,
            error: {
              code: failed.code,
              message: `provider "${failed.providerId}" did not start: ${failed.message}`,
            },
          };
    }
    const session = await sessionFor(ctx.framework, ctx.user, input.environment);
    const runner = await ctx.framework.runner();
    ctx.onProgress?.(`running ${input.command} on ${instance.data}`);
    const offProgress = progressRelay(ctx, instance.data, input.command);
    try {
      const outcome = await runner.execute({
        instanceId: instance.data,
        commandId: input.command,
        params: input.params,
        sessionId: session.id,
        userId: ctx.user,
        environment: input.environment,
        dryRun: input.dryRun,
        confirmed: input.confirm,
        ...(input.timeout === undefined ? {} : { timeout: input.timeout }),
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
      // A confirmation is given by calling again with `confirm` (no front end resumes it): drop the
      // pending copy so it does not linger in the session until it expires.
      if (
        outcome.status === "pending" &&
        outcome.pending.kind === "confirmation" &&
        outcome.sessionId !== undefined
      ) {
        const sessions = await ctx.framework.sessions();
        await sessions.takePendingOperation(outcome.sessionId, outcome.pending.id).catch(() => undefined);
      }
      return outcomeResult(describeOutcome(outcome));
    } finally {
      offProgress();
    }
  });
}

function progressRelay(ctx: OperationContext, instanceId: string, commandId: string): () => void {
  const onProgress = ctx.onProgress;
  if (onProgress === undefined) return () => undefined;
  const handler = (event: {
    instanceId?: string;
    commandId: string;
    progress?: { percentage?: number; message?: string };
  }): void => {
    if (event.instanceId !== instanceId || event.commandId !== commandId || event.progress === undefined)
      return;
    onProgress(event.progress.message ?? `${commandId} running`, event.progress.percentage);
  };
  ctx.framework.events.on("command:progress", handler);
  return () => ctx.framework.events.off("command:progress", handler);
}

/** Input of {@link assessRisk}. */
export const riskInputSchema = deferred(
  () => execInputSchema.omit({ timeout: true }),
  "infrastructure.riskInput",
);

/** What the gate would decide, without recording anything (no approval created, no audit record). */
export async function assessRisk(
  ctx: OperationContext,
  input: z.output<typeof riskInputSchema>,
): Promise<OperationResult<{ decision: JsonValue; command: string; instanceId: string }>> {
  return guard(async () => {
    await ensureStarted(ctx);
    const instance = resolveInstance(ctx.framework, input.provider);
    if (!instance.ok) return { ok: false, error: instance.error };
    const info = ctx.framework.catalogue.getInstance(instance.data);
    const command = ctx.framework.catalogue.getCommand(instance.data, input.command);
    if (info === undefined || command === undefined) {
      const error = new NotFoundError("command", input.command, {
        field: "command",
        available: (ctx.framework.catalogue.listCommands(instance.data) ?? []).map((c) => c.id),
      });
      return { ok: false, error: toOperationError(error) };
    }
    const security = await ctx.framework.security();
    const request = operationRequest(command, info.providerId, instance.data, ctx.user, input);
    const decision = await security.whatIf(request);
    return {
      ok: true,
      data: { decision: describeDecision(decision), command: command.id, instanceId: instance.data },
    };
  });
}

function operationRequest(
  command: CommandDefinition,
  providerId: string,
  instanceId: string,
  user: string,
  input: z.output<typeof riskInputSchema>,
): OperationRequest {
  const resourceIds = command.parameters
    .filter((p) => p.type === "resource-ref")
    .map((p) => input.params[p.name])
    .filter((v): v is string => typeof v === "string");
  const mutating = !["monitor", "cost"].includes(command.category) && !input.dryRun;
  return {
    operationId: `what-if-${globalThis.crypto.randomUUID()}`,
    commandId: command.id,
    commandCategory: command.category,
    providerId,
    instanceId,
    userId: user,
    environment: input.environment,
    params: input.params,
    resourceIds,
    dangerous: command.dangerous === true,
    mutating,
    dryRun: input.dryRun,
    rollbackAvailable: false,
    confirmationRequired: command.dangerous === true,
    confirmationReasons: command.dangerous === true ? ["the command is dangerous"] : [],
    confirmed: input.confirm,
    resumed: false,
    ...(command.estimatedCost === undefined ? {} : { estimatedCost: command.estimatedCost }),
  };
}

// ---------------------------------------------------------------------------------------------
// sessions, approvals, break-glass, audit

/** Input of {@link listSessions}. */
export const sessionsInputSchema = deferred(
  () =>
    z.strictObject({
      user: nonEmpty.optional(),
      state: z.enum(["active", "expired", "terminated"]).optional(),
      environment: environmentSchema.optional(),
    }),
  "infrastructure.sessionsInput",
);

/** Sessions (id, user, environment, state, times, pending operations), newest first. */
export async function listSessions(
  ctx: OperationContext,
  input: z.output<typeof sessionsInputSchema> = {},
): Promise<OperationResult<{ sessions: JsonValue[] }>> {
  return guard(async () => {
    const sessions = await ctx.framework.sessions();
    const list = await sessions.listSessions({
      ...(input.user === undefined ? {} : { userId: input.user }),
      ...(input.state === undefined ? {} : { state: input.state }),
      ...(input.environment === undefined ? {} : { environment: input.environment }),
    });
    const rows = list
      .sort((a, b) => b.lastActivityAt - a.lastActivityAt)
      .map((s) =>
        toJsonData({
          id: s.id,
          userId: s.userId,
          environment: s.environment,
          state: s.state,
          createdAt: s.createdAt,
          lastActivityAt: s.lastActivityAt,
          expiresAt: s.expiresAt,
          pending: s.pendingOperations.map((p) => ({
            id: p.id,
            kind: p.kind,
            commandId: p.commandId,
            instanceId: p.instanceId,
            approvalId: p.approvalId,
          })),
        }),
      );
    return { ok: true, data: { sessions: rows } };
  });
}

/** Input of {@link listApprovals}. */
export const approvalsListInputSchema = deferred(
  () =>
    z.strictObject({
      status: z.enum(["pending", "approved", "rejected", "expired", "consumed"]).optional(),
    }),
  "infrastructure.approvalsListInput",
);

/** Approval requests (optionally of one status). */
export async function listApprovals(
  ctx: OperationContext,
  input: z.output<typeof approvalsListInputSchema> = {},
): Promise<OperationResult<{ approvals: JsonValue[] }>> {
  return guard(async () => {
    const security = await ctx.framework.security();
    const list = await security.approvals.list(input.status);
    return {
      ok: true,
      data: {
        approvals: list.map((a) =>
          toJsonData({
            id: a.id,
            status: a.status,
            requester: a.requester,
            environment: a.environment,
            riskLevel: a.riskLevel,
            riskScore: a.riskScore,
            commandId: a.operation.commandId,
            providerId: a.operation.providerId,
            operationId: a.operation.operationId,
            params: a.operation.params,
            steps: a.steps.map((s) => ({
              role: s.role,
              required: s.required,
              approvedBy: s.approvals.map((x) => x.userId),
            })),
            createdAt: a.createdAt,
            expiresAt: a.expiresAt,
            ...(a.decidedBy === undefined ? {} : { decidedBy: a.decidedBy }),
            ...(a.reason === undefined ? {} : { reason: a.reason }),
          }),
        ),
      },
    };
  });
}

/** Input of {@link decideApproval}. */
export const approvalDecisionInputSchema = deferred(
  () =>
    z.strictObject({
      id: nonEmpty,
      decision: z.enum(["approve", "reject"]),
      /** A comment (approve) or the reason (reject; required). */
      reason: z.string().trim().min(1).max(2000).optional(),
      /** Resume the waiting operation once the approval is complete (approve) or refused (reject). Default true. */
      run: z.boolean().default(true),
    }),
  "infrastructure.approvalDecisionInput",
);

/** Finds the session and pending operation waiting on an approval. */
async function pendingFor(
  framework: InfrastructureFramework,
  approvalId: string,
): Promise<{ sessionId: string; pendingId: string } | undefined> {
  const sessions = await framework.sessions();
  for (const session of await sessions.listSessions({ state: "active" })) {
    const pending = session.pendingOperations.find((p) => p.approvalId === approvalId);
    if (pending !== undefined) return { sessionId: session.id, pendingId: pending.id };
  }
  return undefined;
}

/**
 * Approves or rejects an approval request as the acting user. When the request is complete (or
 * rejected) and an operation waits on it in a session, that operation is resumed: it runs (approved)
 * or is consumed as refused (rejected), exactly once.
 */
export async function decideApproval(
  ctx: OperationContext,
  input: z.output<typeof approvalDecisionInputSchema>,
): Promise<OperationResult<{ approval: JsonValue; operation?: ExecData }>> {
  return guard<{ approval: JsonValue; operation?: ExecData }>(async () => {
    if (input.decision === "reject" && input.reason === undefined) {
      return {
        ok: false,
        error: {
          code: "VALIDATION_FAILED",
          message: "reason: a rejection needs a reason",
          issues: [{ code: "REQUIRED", message: "a rejection needs a reason", path: "reason" }],
        },
      };
    }
    const security = await ctx.framework.security();
    const result =
      input.decision === "approve"
        ? await security.approvals.approve(
            input.id,
            ctx.user,
            input.reason === undefined ? {} : { comment: input.reason },
          )
        : await security.approvals.reject(input.id, ctx.user, input.reason ?? "");
    if (!result.ok)
      return { ok: false, error: { code: result.code, message: redactSecretText(result.reason) } };
    const approval = toJsonData({
      id: result.request.id,
      status: result.request.status,
      currentStep: result.request.currentStep,
      counted: result.counted,
    });
    const settled = result.request.status === "approved" || result.request.status === "rejected";
    if (!input.run || !settled) return { ok: true, data: { approval } };
    const waiting = await pendingFor(ctx.framework, input.id);
    if (waiting === undefined) return { ok: true, data: { approval } };
    await ensureStarted(ctx);
    const runner = await ctx.framework.runner();
    ctx.onProgress?.("resuming the approved operation");
    const outcome = await runner.resume(waiting.sessionId, waiting.pendingId, {
      approvalId: input.id,
      approvedBy: ctx.user,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    const operation = describeOutcome(outcome);
    // A rejected approval ends in a denied operation: that is the expected result, not a failure.
    if (input.decision === "reject") return { ok: true, data: { approval, operation } };
    const shaped = outcomeResult(operation);
    return shaped.ok
      ? { ok: true, data: { approval, operation } }
      : { ok: false, error: shaped.error, data: { approval, operation } };
  });
}

/** Input of {@link activateBreakGlass}. */
export const breakGlassActivateInputSchema = deferred(
  () =>
    z.strictObject({
      environment: environmentSchema,
      reasonCode: nonEmpty,
      justification: z.string().trim().min(1).max(4000),
      ticket: nonEmpty.optional(),
      /** Duration in ms (capped at the policy's maximum). */
      durationMs: z.number().int().positive().max(2_147_483_647).optional(),
    }),
  "infrastructure.breakGlassActivateInput",
);

/** Opens a break-glass session for the acting user. */
export async function activateBreakGlass(
  ctx: OperationContext,
  input: z.output<typeof breakGlassActivateInputSchema>,
): Promise<OperationResult<{ session: JsonValue }>> {
  return guard(async () => {
    const security = await ctx.framework.security();
    const result = await security.breakGlass.activate({
      userId: ctx.user,
      environment: input.environment,
      reasonCode: input.reasonCode,
      justification: input.justification,
      ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
      ...(input.durationMs === undefined ? {} : { durationMs: input.durationMs }),
    });
    if (!result.ok)
      return { ok: false, error: { code: result.code, message: redactSecretText(result.reason) } };
    return { ok: true, data: { session: toJsonData(result.session) } };
  });
}

/** Input of {@link deactivateBreakGlass}. */
export const breakGlassDeactivateInputSchema = deferred(
  () => z.strictObject({ id: nonEmpty }),
  "infrastructure.breakGlassDeactivateInput",
);

/** Closes a break-glass session. */
export async function deactivateBreakGlass(
  ctx: OperationContext,
  input: z.output<typeof breakGlassDeactivateInputSchema>,
): Promise<OperationResult<{ id: string; deactivated: true }>> {
  return guard(async () => {
    const security = await ctx.framework.security();
    const closed = await security.breakGlass.deactivate(input.id, ctx.user);
    if (!closed)
      return {
        ok: false,
        error: { code: "NOT_FOUND", message: `id: no active break-glass session "${input.id}"` },
      };
    return { ok: true, data: { id: input.id, deactivated: true } };
  });
}

/** Input of {@link auditTail}. */
export const auditTailInputSchema = deferred(
  () =>
    z.strictObject({
      limit: z.number().int().positive().max(10_000).default(20),
      user: nonEmpty.optional(),
      type: nonEmpty.optional(),
    }),
  "infrastructure.auditTailInput",
);

/** The answer of an audit command while the audit log is turned off. */
function auditOff<T>(): OperationResult<T> {
  return {
    ok: false,
    error: {
      code: "INVALID_ARGUMENT",
      message: "the audit log is off (securityConfig.audit.enabled: false)",
    },
  };
}

/** The newest audit records (oldest first). */
export async function auditTail(
  ctx: OperationContext,
  input: z.output<typeof auditTailInputSchema> = { limit: 20 },
): Promise<OperationResult<{ records: JsonValue[] }>> {
  return guard(async () => {
    const security = await ctx.framework.security();
    const log = security.auditLog;
    if (log === undefined) return auditOff();
    const { auditEventTypeSchema } = await import("@espada/infra-core");
    let types;
    if (input.type !== undefined) {
      const parsed = auditEventTypeSchema.safeParse(input.type);
      if (!parsed.success)
        return {
          ok: false,
          error: { code: "VALIDATION_FAILED", message: `type: unknown audit event type "${input.type}"` },
        };
      types = [parsed.data];
    }
    const all = await log.query({
      ...(input.user === undefined ? {} : { userId: input.user }),
      ...(types === undefined ? {} : { types }),
    });
    return { ok: true, data: { records: all.slice(-input.limit).map((r) => toJsonData(r)) } };
  });
}

/** Verifies the audit chain; a broken chain is a failure naming the first broken record. */
export async function auditVerify(
  ctx: OperationContext,
): Promise<OperationResult<{ verification: JsonValue }>> {
  return guard(async () => {
    const security = await ctx.framework.security();
    const log = security.auditLog;
    if (log === undefined) return auditOff();
    const verification = await log.verify();
    const data = { verification: toJsonData(verification) };
    if (verification.ok) return { ok: true, data };
    return {
      ok: false,
      data,
      error: {
        code: "STORAGE_CORRUPT",
        message: `audit chain broken at position ${verification.firstBroken.position}: ${verification.reason}`,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// chat

/** Input of {@link chat}. */
export const chatInputSchema = deferred(
  () =>
    z.strictObject({
      message: z.string().trim().min(1).max(4000),
      conversationId: nonEmpty.default("cli"),
      environment: environmentSchema.default("development"),
      /** Answer "yes" when the pipeline asks to confirm (only the confirmation it asked for). */
      yes: z.boolean().default(false),
    }),
  "infrastructure.chatInput",
);

/** One chat turn through the conversation pipeline (same validation and gate as any call). */
export async function chat(
  ctx: OperationContext,
  input: z.output<typeof chatInputSchema>,
): Promise<OperationResult<{ replies: JsonValue[]; response: string }>> {
  return guard(async () => {
    if (!ctx.framework.config.conversationConfig.enabled) {
      return {
        ok: false,
        error: {
          code: "INVALID_ARGUMENT",
          message: "the conversational pipeline is off (conversationConfig.enabled: false)",
        },
      };
    }
    await ensureStarted(ctx);
    const session = await sessionFor(ctx.framework, ctx.user, input.environment);
    const manager = await ctx.framework.conversation();
    const context = { conversationId: input.conversationId, sessionId: session.id, userId: ctx.user };
    const first = await manager.processMessage(input.message, context);
    const replies = [first];
    if (input.yes && first.kind === "confirmation" && first.confirmation?.level !== "typed") {
      replies.push(await manager.processMessage("yes", context));
    }
    const shaped = replies.map((r) =>
      toJsonData({
        kind: r.kind,
        response: r.response,
        ...(r.command === null ? {} : { command: r.command }),
        ...(r.outcome === null ? {} : { outcome: r.outcome }),
      }),
    );
    return {
      ok: true,
      data: { replies: shaped, response: replies.map((r) => redactSecretText(r.response)).join("\n") },
    };
  });
}
