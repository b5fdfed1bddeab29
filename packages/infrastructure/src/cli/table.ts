// The one command table both CLI adapters (yargs for the standalone `espada-infra`, the host's
// commander `program`) are built from. A command names its arguments, turns the parsed arguments
// into an operation input, runs the operation and renders its data as text. Nothing here imports a
// framework package at module load: each command's `run` loads what it needs.
import type { InfrastructureFramework } from "../framework.js";
import type { ZodType } from "zod";
import type * as Ops from "../operations.js";
import type { OperationContext, OperationResult } from "../operations.js";

/** A positional argument. */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

/** An option (`--name`). */
export interface OptionSpec {
  /** The long name, kebab-case (`dry-run`). */
  readonly name: string;
  readonly type: "string" | "boolean" | "number" | "array";
  readonly description: string;
  readonly alias?: string;
  /** For `array`: the placeholder shown in help (`k=v`). */
  readonly placeholder?: string;
  /** A boolean that is on by default and turned off with `--no-<name>`. */
  readonly negatable?: boolean;
}

/** Parsed arguments as both adapters hand them over: positionals and options by camelCase name. */
export type RawArgs = Readonly<Record<string, unknown>>;

/** What a command run can use. */
export interface CommandRunContext {
  /** The framework for this invocation (built on first call). */
  framework(): Promise<InfrastructureFramework>;
  readonly user: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string, percent?: number) => void;
}

/**
 * A command's result: data for `--json`, text for a person, and whether it failed. `usage` marks a
 * failure of the command line itself (exit 2) rather than of the operation (exit 1).
 */
export type CommandResult = OperationResult<unknown> & { readonly text?: string; readonly usage?: boolean };

/** One CLI command. */
export interface CliCommand {
  /** Words after `infra` (`["approvals", "approve"]`). */
  readonly path: readonly string[];
  readonly description: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  /** Usage examples (shown in help). */
  readonly examples?: readonly string[];
  /** Runs the command; a usage problem is returned as `VALIDATION_FAILED` (the adapters exit 2). */
  run(context: CommandRunContext, args: RawArgs): Promise<CommandResult>;
}

/** The exit codes of every CLI command. */
export const EXIT_CODES = { ok: 0, failure: 1, usage: 2 } as const;

/** Options every command takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: "json", type: "boolean", description: "Print JSON (secrets redacted) instead of text" },
  {
    name: "user",
    type: "string",
    description: "Act as this user (default: $ESPADA_INFRA_USER, else the OS user)",
  },
];

const ENV_OPTION: OptionSpec = {
  name: "env",
  type: "string",
  description: "Environment (development, staging, production, …); default development",
};

// ---------------------------------------------------------------------------------------------
// rendering

/** Renders rows as an aligned text table with a header. */
export function renderTable(
  columns: readonly (readonly [header: string, key: string])[],
  rows: readonly Readonly<Record<string, unknown>>[],
): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((row) => columns.map(([, key]) => cellText(row[key])));
  const widths = columns.map(([header], i) =>
    Math.max(header.length, ...cells.map((c) => (c[i] ?? "").length)),
  );
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(columns.map(([header]) => header)), ...cells.map(line)].join("\n");
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return "-";
  if (Array.isArray(value)) return value.length === 0 ? "-" : value.map(String).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return str(value);
}

/** Text of a display value: strings as they are, numbers and booleans printed, anything else as JSON. */
const str = (value: unknown): string =>
  typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean"
      ? String(value)
      : value === undefined || value === null
        ? ""
        : JSON.stringify(value);

const time = (ms: unknown): string =>
  typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : "-";

// ---------------------------------------------------------------------------------------------
// argument helpers

/** Splits `k=v` pairs (`--param name=web --param size=2`); a pair without `=` is a usage error. */
export function parseKeyValues(
  values: unknown,
  option: string,
): OperationResult<Record<string, string>> & { readonly usage?: boolean } {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  const out: Record<string, string> = {};
  for (const item of list) {
    const text = str(item);
    const at = text.indexOf("=");
    if (at <= 0) {
      return {
        ok: false,
        usage: true,
        error: {
          code: "VALIDATION_FAILED",
          message: `--${option}: "${text}" must be key=value`,
          issues: [{ code: "INVALID_VALUE", message: "must be key=value", path: option }],
        },
      };
    }
    const key = text.slice(0, at);
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      return {
        ok: false,
        usage: true,
        error: {
          code: "VALIDATION_FAILED",
          message: `--${option}: "${key}" is not allowed as a key`,
          issues: [{ code: "INVALID_VALUE", message: "reserved key", path: option }],
        },
      };
    }
    out[key] = text.slice(at + 1);
  }
  return { ok: true, data: out };
}

/** Turns `k=v` text into the types a command declares (number, boolean, array, object); unknown keys stay text. */
export function coerceParams(
  text: Readonly<Record<string, string>>,
  parameters: readonly { readonly name: string; readonly type: string }[],
): Record<string, unknown> {
  const types = new Map(parameters.map((p) => [p.name, p.type]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(text)) out[key] = coerce(value, types.get(key));
  return out;
}

function coerce(value: string, type: string | undefined): unknown {
  switch (type) {
    case "number": {
      const n = Number(value);
      return value.trim() !== "" && Number.isFinite(n) ? n : value;
    }
    case "boolean":
      if (/^(true|yes|1|on)$/i.test(value)) return true;
      if (/^(false|no|0|off)$/i.test(value)) return false;
      return value;
    case "array":
      if (value.trim().startsWith("[")) return parseJson(value);
      return value === "" ? [] : value.split(",").map((v) => v.trim());
    case "object":
      return parseJson(value);
    default:
      return value;
  }
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

const usage = (message: string, path: string): CommandResult => ({
  ok: false,
  usage: true,
  error: { code: "VALIDATION_FAILED", message, issues: [{ code: "INVALID_VALUE", message, path }] },
});

async function operations(): Promise<typeof Ops> {
  return import("../operations.js");
}

/** Runs an operation with the context's framework, user, signal and progress. */
async function withContext<T>(
  context: CommandRunContext,
  work: (ops: typeof Ops, ctx: OperationContext) => Promise<OperationResult<T>>,
): Promise<OperationResult<T>> {
  const ops = await operations();
  try {
    const framework = await context.framework();
    return await work(ops, {
      framework,
      user: context.user,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      ...(context.onProgress === undefined ? {} : { onProgress: context.onProgress }),
    });
  } catch (error) {
    return { ok: false, error: ops.toOperationError(error) };
  }
}

/** Parses raw arguments with an operation's schema, then runs it. */
async function parsed<S, T>(
  context: CommandRunContext,
  schema: ZodType<S>,
  raw: unknown,
  work: (ops: typeof Ops, ctx: OperationContext, input: S) => Promise<OperationResult<T>>,
): Promise<CommandResult> {
  const ops = await operations();
  const input = ops.parseInput(schema, raw);
  if (!input.ok) return { ...input, usage: true };
  return withContext(context, (o, ctx) => work(o, ctx, input.data));
}

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.map(record) : []);

function withText(
  result: OperationResult<unknown>,
  text: (data: Record<string, unknown>) => string,
): CommandResult {
  if (!result.ok) return result.data === undefined ? result : { ...result, text: text(record(result.data)) };
  return { ...result, text: text(record(result.data)) };
}

function problemsText(problems: unknown): string {
  const rows = list(problems);
  return rows.length === 0
    ? ""
    : `\n${rows.map((p) => `warning: provider ${str(p.providerId)} did not start (${str(p.code)}): ${str(p.message)}`).join("\n")}`;
}

function execText(data: Record<string, unknown>): string {
  const status = str(data.status);
  const head = `${status}: ${str(data.commandId)} on ${str(data.instanceId)}`;
  const decision = record(data.decision);
  const risk = record(decision.risk);
  const riskLine = risk.level === undefined ? "" : `\nrisk: ${str(risk.score)} (${str(risk.level)})`;
  const reasons = list(decision.reasons)
    .filter((r) => r.passed === false)
    .map((r) => `\n  ${str(r.check)}: ${str(r.message)}`)
    .join("");
  switch (status) {
    case "succeeded":
      return `${head}${data.message === undefined ? "" : ` — ${str(data.message)}`}\n${JSON.stringify(data.data ?? null, null, 2)}${riskLine}`;
    case "pending": {
      const pending = record(data.pending);
      const next =
        pending.approvalId === undefined
          ? `confirm by running the command again with --yes`
          : `an approver runs: espada-infra approvals approve ${str(pending.approvalId)}`;
      return `${head}\nwaiting for ${pending.kind === "approval" ? "approval" : "confirmation"}: ${str(pending.reason)}${riskLine}\n${next}`;
    }
    case "invalid": {
      const issues = list(data.issues)
        .map((i) => `\n  ${str(i.path)}: ${str(i.message)}`)
        .join("");
      return `${head}${issues}`;
    }
    default: {
      const error = record(data.error);
      return `${head}: ${str(error.message)}${riskLine}${reasons}`;
    }
  }
}

function nonNegativeInt(value: unknown, option: string): number | undefined | CommandResult {
  if (value === undefined) return undefined;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n) || n <= 0) return usage(`--${option}: must be a positive integer`, option);
  return n;
}

// ---------------------------------------------------------------------------------------------
// the table

/** Every `infra` command, in help order. */
export const CLI_COMMANDS: readonly CliCommand[] = [
  {
    path: ["providers"],
    description: "List registered provider factories (name, ID, category, version, capabilities)",
    positionals: [],
    options: [],
    async run(context) {
      const result = await withContext(context, (ops, ctx) => ops.listProviders(ctx));
      return withText(result, (data) =>
        renderTable(
          [
            ["NAME", "name"],
            ["ID", "id"],
            ["CATEGORY", "category"],
            ["VERSION", "version"],
            ["CAPABILITIES", "capabilities"],
          ],
          list(data.providers).map((p) => {
            const meta = record(p.meta);
            return {
              name: meta.displayName ?? meta.name,
              id: p.id,
              category: meta.category,
              version: meta.version,
              capabilities: meta.capabilities,
            };
          }),
        ),
      );
    },
  },
  {
    path: ["instances"],
    description: "List active provider instances (instanceId, provider, state, createdAt)",
    positionals: [],
    options: [{ name: "provider", type: "string", description: "Only instances of this provider" }],
    async run(context, args) {
      const result = await parsed(
        context,
        (await operations()).instancesInputSchema,
        { ...(args.provider === undefined ? {} : { provider: args.provider }) },
        (ops, ctx, input) => ops.listInstances(ctx, input),
      );
      return withText(
        result,
        (data) =>
          renderTable(
            [
              ["INSTANCE", "instanceId"],
              ["PROVIDER", "id"],
              ["STATE", "state"],
              ["HEALTH", "health"],
              ["CREATED", "created"],
            ],
            list(data.instances).map((i) => ({ ...i, created: time(i.createdAt) })),
          ) + problemsText(data.problems),
      );
    },
  },
  {
    path: ["status"],
    description: "Show framework status: factory count, instance count, lifecycle hooks, health summary",
    positionals: [],
    options: [
      {
        name: "health",
        type: "boolean",
        negatable: true,
        description: "Run a health check of every instance first (--no-health skips it)",
      },
    ],
    async run(context, args) {
      const result = await parsed(
        context,
        (await operations()).statusInputSchema,
        { checkHealth: args.health !== false },
        (ops, ctx, input) => ops.frameworkStatus(ctx, input),
      );
      return withText(result, (data) => {
        const health = record(data.health);
        const hooks = record(record(data.lifecycle).hooks);
        const byState = Object.entries(record(data.instancesByState)).filter(([, n]) => n !== 0);
        const hookCount = Object.values(hooks).reduce<number>(
          (sum, n) => sum + (typeof n === "number" ? n : 0),
          0,
        );
        return (
          [
            `factories:  ${str(data.factories)}`,
            `instances:  ${str(data.instances)}${byState.length === 0 ? "" : ` (${byState.map(([s, n]) => `${str(n)} ${s}`).join(", ")})`}`,
            `hooks:      ${hookCount}${
              hookCount === 0
                ? ""
                : ` (${Object.entries(hooks)
                    .filter(([, n]) => n !== 0)
                    .map(([s, n]) => `${s}: ${str(n)}`)
                    .join(", ")})`
            }`,
            `health:     ${str(data.overallHealth)}${Object.entries(health)
              .filter(([, n]) => typeof n === "number" && n !== 0)
              .map(([k, n]) => ` ${k}=${str(n)}`)
              .join("")}`,
            `state dir:  ${str(data.stateDir)}`,
          ].join("\n") + problemsText(data.problems)
        );
      });
    },
  },
  {
    path: ["discover"],
    description: "Run plugin discovery and register the providers found",
    positionals: [],
    options: [],
    async run(context) {
      const result = await parsed(context, (await operations()).discoverInputSchema, {}, (ops, ctx, input) =>
        ops.discoverProviders(ctx, input),
      );
      return withText(result, (data) => {
        const registered = list(data.registered);
        const problems = list(data.problems);
        const duplicates = list(data.duplicates);
        return [
          `registered ${registered.length} provider(s)`,
          registered.length === 0
            ? ""
            : renderTable(
                [
                  ["ID", "id"],
                  ["SOURCE", "source"],
                  ["PLUGIN", "plugin"],
                  ["VERSION", "version"],
                ],
                registered,
              ),
          duplicates.length === 0 ? "" : `already registered: ${duplicates.map((d) => str(d.id)).join(", ")}`,
          ...problems.map((p) => `problem (${str(p.source)}) ${str(p.location)}: ${str(p.message)}`),
        ]
          .filter((l) => l !== "")
          .join("\n");
      });
    },
  },
  {
    path: ["exec"],
    description: "Run a provider command through validation, the security gate and the audit",
    positionals: [
      { name: "provider", description: "Instance id, or a provider id with one instance", required: true },
      { name: "command", description: "Command id (e.g. create-database)", required: true },
    ],
    options: [
      {
        name: "param",
        type: "array",
        placeholder: "k=v",
        description: "A parameter, key=value (repeatable); typed by the command's declaration",
        alias: "p",
      },
      { name: "dry-run", type: "boolean", description: "Simulate (refused when the command has no dry run)" },
      ENV_OPTION,
      { name: "yes", type: "boolean", description: "Confirm a dangerous or high-risk operation", alias: "y" },
      { name: "timeout", type: "number", description: "Time limit of each attempt, in ms" },
    ],
    examples: [
      "exec kv-db create-database --param name=sessions --param sizeGb=2",
      "exec kv-db delete-database --param database=kv-sessions --yes",
    ],
    async run(context, args) {
      const text = parseKeyValues(args.param, "param");
      if (!text.ok) return text;
      const ops = await operations();
      const raw = {
        provider: args.provider,
        command: args.command,
        params: text.data,
        dryRun: args.dryRun === true,
        confirm: args.yes === true,
        ...(args.env === undefined ? {} : { environment: args.env }),
        ...(args.timeout === undefined ? {} : { timeout: args.timeout }),
      };
      const input = ops.parseInput(ops.execInputSchema, raw);
      if (!input.ok) return { ...input, usage: true };
      const result = await withContext(context, async (o, ctx) => {
        // Type the k=v text by the command's declared parameters (the validator still checks them).
        await ctx.framework.start(ctx.signal === undefined ? {} : { signal: ctx.signal });
        const instance = o.resolveInstance(ctx.framework, input.data.provider);
        const declared = instance.ok
          ? (ctx.framework.catalogue.getCommand(instance.data, input.data.command)?.parameters ?? [])
          : [];
        return o.execCommand(ctx, { ...input.data, params: coerceParams(text.data, declared) });
      });
      return withText(result, execText);
    },
  },
  {
    path: ["sessions"],
    description: "List sessions (id, user, environment, state, expiry, pending operations)",
    positionals: [],
    options: [
      {
        name: "state",
        type: "string",
        description: "Only sessions in this state (active, expired, terminated)",
      },
      { name: "for-user", type: "string", description: "Only sessions of this user" },
    ],
    async run(context, args) {
      const raw = {
        ...(args.state === undefined ? {} : { state: args.state }),
        ...(args.forUser === undefined ? {} : { user: args.forUser }),
      };
      const result = await parsed(context, (await operations()).sessionsInputSchema, raw, (ops, ctx, input) =>
        ops.listSessions(ctx, input),
      );
      return withText(result, (data) =>
        renderTable(
          [
            ["SESSION", "id"],
            ["USER", "userId"],
            ["ENV", "environment"],
            ["STATE", "state"],
            ["EXPIRES", "expires"],
            ["PENDING", "pendingCount"],
          ],
          list(data.sessions).map((s) => ({
            ...s,
            expires: time(s.expiresAt),
            pendingCount: list(s.pending).length,
          })),
        ),
      );
    },
  },
  {
    path: ["approvals", "list"],
    description: "List approval requests",
    positionals: [],
    options: [
      {
        name: "status",
        type: "string",
        description: "Only this status (pending, approved, rejected, expired, consumed)",
      },
    ],
    async run(context, args) {
      const result = await parsed(
        context,
        (await operations()).approvalsListInputSchema,
        args.status === undefined ? {} : { status: args.status },
        (ops, ctx, input) => ops.listApprovals(ctx, input),
      );
      return withText(result, (data) =>
        renderTable(
          [
            ["APPROVAL", "id"],
            ["STATUS", "status"],
            ["COMMAND", "commandId"],
            ["PROVIDER", "providerId"],
            ["REQUESTER", "requester"],
            ["ENV", "environment"],
            ["RISK", "risk"],
          ],
          list(data.approvals).map((a) => ({ ...a, risk: `${str(a.riskScore)} ${str(a.riskLevel)}` })),
        ),
      );
    },
  },
  {
    path: ["approvals", "approve"],
    description: "Approve a request (the waiting operation runs once the last step is approved)",
    positionals: [{ name: "id", description: "Approval id", required: true }],
    options: [
      { name: "comment", type: "string", description: "A comment recorded with the approval" },
      {
        name: "run",
        type: "boolean",
        negatable: true,
        description: "Run the waiting operation once approved (--no-run only approves)",
      },
    ],
    async run(context, args) {
      const raw = {
        id: args.id,
        decision: "approve",
        run: args.run !== false,
        ...(args.comment === undefined ? {} : { reason: args.comment }),
      };
      const result = await parsed(
        context,
        (await operations()).approvalDecisionInputSchema,
        raw,
        (ops, ctx, input) => ops.decideApproval(ctx, input),
      );
      return withText(result, approvalText);
    },
  },
  {
    path: ["approvals", "reject"],
    description: "Reject a request (the waiting operation is refused)",
    positionals: [{ name: "id", description: "Approval id", required: true }],
    options: [{ name: "reason", type: "string", description: "Why (required)" }],
    async run(context, args) {
      const raw = {
        id: args.id,
        decision: "reject",
        ...(args.reason === undefined ? {} : { reason: args.reason }),
      };
      const result = await parsed(
        context,
        (await operations()).approvalDecisionInputSchema,
        raw,
        (ops, ctx, input) => ops.decideApproval(ctx, input),
      );
      return withText(result, approvalText);
    },
  },
  {
    path: ["break-glass", "activate"],
    description: "Open a break-glass session for emergency access (audited)",
    positionals: [],
    options: [
      { ...ENV_OPTION, description: "Environment the emergency access is for (required)" },
      {
        name: "reason-code",
        type: "string",
        description: "incident, outage, security-incident, data-recovery, … (required)",
      },
      {
        name: "justification",
        type: "string",
        description: "What happened and why access is needed (required)",
      },
      { name: "ticket", type: "string", description: "Incident ticket" },
      { name: "duration", type: "number", description: "Duration in minutes (capped by the policy)" },
    ],
    async run(context, args) {
      const minutes = nonNegativeInt(args.duration, "duration");
      if (typeof minutes === "object") return minutes;
      const raw = {
        environment: args.env,
        reasonCode: args.reasonCode,
        justification: args.justification,
        ...(args.ticket === undefined ? {} : { ticket: args.ticket }),
        ...(minutes === undefined ? {} : { durationMs: minutes * 60_000 }),
      };
      const result = await parsed(
        context,
        (await operations()).breakGlassActivateInputSchema,
        raw,
        (ops, ctx, input) => ops.activateBreakGlass(ctx, input),
      );
      return withText(result, (data) => {
        const s = record(data.session);
        return `break-glass session ${str(s.id)} active for ${str(s.userId)} in ${str(s.environment)} until ${time(s.expiresAt)}`;
      });
    },
  },
  {
    path: ["break-glass", "deactivate"],
    description: "Close a break-glass session",
    positionals: [{ name: "id", description: "Break-glass session id", required: true }],
    options: [],
    async run(context, args) {
      const result = await parsed(
        context,
        (await operations()).breakGlassDeactivateInputSchema,
        { id: args.id },
        (ops, ctx, input) => ops.deactivateBreakGlass(ctx, input),
      );
      return withText(result, (data) => `break-glass session ${str(data.id)} closed`);
    },
  },
  {
    path: ["audit", "tail"],
    description: "Show the newest audit records",
    positionals: [],
    options: [
      { name: "limit", type: "number", description: "How many (default 20)", alias: "n" },
      { name: "for-user", type: "string", description: "Only records of this actor" },
      { name: "type", type: "string", description: "Only this event type (e.g. permission_denied)" },
    ],
    async run(context, args) {
      const raw = {
        ...(args.limit === undefined ? {} : { limit: args.limit }),
        ...(args.forUser === undefined ? {} : { user: args.forUser }),
        ...(args.type === undefined ? {} : { type: args.type }),
      };
      const result = await parsed(
        context,
        (await operations()).auditTailInputSchema,
        raw,
        (ops, ctx, input) => ops.auditTail(ctx, input),
      );
      return withText(result, (data) =>
        renderTable(
          [
            ["SEQ", "seq"],
            ["TIME", "at"],
            ["TYPE", "type"],
            ["ACTOR", "actor"],
            ["OUTCOME", "outcome"],
            ["COMMAND", "command"],
          ],
          list(data.records).map((r) => ({
            seq: r.seq,
            at: time(r.timestamp),
            type: r.type,
            actor: r.actor,
            outcome: r.outcome,
            command: r.commandId,
          })),
        ),
      );
    },
  },
  {
    path: ["audit", "verify"],
    description: "Verify the audit log's hash chain",
    positionals: [],
    options: [],
    async run(context) {
      const result = await withContext(context, (ops, ctx) => ops.auditVerify(ctx));
      return withText(result, (data) => {
        const v = record(data.verification);
        return v.ok === true
          ? `audit log intact: ${str(v.records)} record(s) verified`
          : `audit log BROKEN: ${str(v.reason)}`;
      });
    },
  },
  {
    path: ["chat"],
    description: "Send a message to the conversational pipeline",
    positionals: [{ name: "message", description: "What to do, in plain words", required: true }],
    options: [
      ENV_OPTION,
      { name: "yes", type: "boolean", description: "Answer yes when asked to confirm", alias: "y" },
      { name: "conversation", type: "string", description: "Conversation id (default cli)" },
    ],
    examples: ['chat "list databases"'],
    async run(context, args) {
      const raw = {
        message: args.message,
        yes: args.yes === true,
        ...(args.env === undefined ? {} : { environment: args.env }),
        ...(args.conversation === undefined ? {} : { conversationId: args.conversation }),
      };
      const result = await parsed(context, (await operations()).chatInputSchema, raw, (ops, ctx, input) =>
        ops.chat(ctx, input),
      );
      return withText(result, (data) => str(data.response));
    },
  },
];

function approvalText(data: Record<string, unknown>): string {
  const approval = record(data.approval);
  const lines = [`approval ${str(approval.id)}: ${str(approval.status)}`];
  if (data.operation !== undefined) lines.push(execText(record(data.operation)));
  return lines.join("\n");
}
