// Agent tools (`api.registerTool`): the assistant lists providers and instances, assesses an
// operation's risk, runs a command through the whole security path and acts on approvals. Each tool
// validates its params with the operation's zod schema (its JSON Schema is generated from it),
// resolves with text + details, and throws a typed error on failure (the host shows it).
import { z } from "zod";
import type { HostPluginApi, HostTool, ToolResult } from "./host.js";
import type * as Ops from "./operations.js";
import type { OperationContext, OperationResult } from "./operations.js";
import type { GatewayRuntime } from "./gateway.js";

/** The user agent tools act as: give it a role in `securityConfig.policies.assignments` (default deny). */
export const TOOL_USER = "assistant";

/** The names of every agent tool (the host's manifest lists them in `contracts.tools`). */
export const TOOL_NAMES = [
  "infra_list_providers",
  "infra_list_instances",
  "infra_assess_risk",
  "infra_run_command",
  "infra_list_approvals",
  "infra_decide_approval",
] as const;
/** An agent tool name. */
export type ToolName = (typeof TOOL_NAMES)[number];

/** A typed failure thrown out of a tool's `execute` (the host reports its message). */
export class ToolFailure extends Error {
  /** Core's error code. */
  readonly code: string;
  /** The structured failure (issues, outcome). */
  readonly details: unknown;
  constructor(code: string, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(`[${code}] ${message}`, options);
    this.name = "ToolFailure";
    this.code = code;
    this.details = details;
  }
}

interface ToolSpec {
  readonly name: ToolName;
  readonly label: string;
  readonly description: string;
  readonly schema: (ops: typeof Ops) => z.ZodType;
  /** The JSON Schema of the params (generated from the same zod schema, at registration). */
  readonly parameters: z.ZodType;
  run(ops: typeof Ops, ctx: OperationContext, input: never): Promise<OperationResult<unknown>>;
  summary(data: Record<string, unknown>): string;
}

const rec = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(rec) : []);
const txt = (v: unknown): string =>
  typeof v === "string"
    ? v
    : typeof v === "number" || typeof v === "boolean"
      ? String(v)
      : v === undefined || v === null
        ? "-"
        : JSON.stringify(v);

// Parameter schemas of the tools, in the shape the operations accept (kept here so registering
// does not import the operations module; each is checked against the operation's own schema on use).
const emptySchema = z.strictObject({});
const instancesSchema = z.strictObject({
  provider: z.string().min(1).optional().describe("Only instances of this provider"),
});
const commandSchema = z.strictObject({
  provider: z.string().min(1).describe("Instance id, or a provider id with one instance"),
  command: z.string().min(1).describe("Command id"),
  params: z.record(z.string(), z.unknown()).optional().describe("Command parameters"),
  dryRun: z.boolean().optional().describe("Simulate only"),
  environment: z.string().min(1).optional().describe("Environment (default development)"),
  confirm: z.boolean().optional().describe("Set only after the user explicitly confirmed this operation"),
});
const approvalsSchema = z.strictObject({
  status: z.enum(["pending", "approved", "rejected", "expired", "consumed"]).optional(),
});
const decideSchema = z.strictObject({
  id: z.string().min(1).describe("Approval id"),
  decision: z.enum(["approve", "reject"]),
  reason: z.string().min(1).optional().describe("Comment (approve) or reason (reject, required)"),
});

function execSummary(data: Record<string, unknown>): string {
  const status = txt(data.status);
  const risk = rec(rec(data.decision).risk);
  const riskText = risk.level === undefined ? "" : ` (risk ${txt(risk.score)}, ${txt(risk.level)})`;
  if (status === "pending") {
    const pending = rec(data.pending);
    return `${txt(data.commandId)} on ${txt(data.instanceId)} is waiting for ${txt(pending.kind)}${riskText}: ${txt(pending.reason)}${pending.approvalId === undefined ? "" : ` (approval ${txt(pending.approvalId)})`}`;
  }
  return `${txt(data.commandId)} on ${txt(data.instanceId)}: ${status}${riskText}\n${JSON.stringify(data.data ?? null)}`;
}

const TOOLS: readonly ToolSpec[] = [
  {
    name: "infra_list_providers",
    label: "List infrastructure providers",
    description:
      "List the registered infrastructure provider types (id, name, category, version, capabilities).",
    schema: (o) => o.providersInputSchema,
    parameters: emptySchema,
    run: (o, ctx) => o.listProviders(ctx),
    summary: (d) =>
      arr(d.providers)
        .map(
          (p) =>
            `${txt(p.id)}: ${txt(rec(p.meta).displayName)} (${txt(rec(p.meta).category)}, v${txt(rec(p.meta).version)})`,
        )
        .join("\n") || "no providers registered",
  },
  {
    name: "infra_list_instances",
    label: "List infrastructure provider instances",
    description: "List running provider instances with their state and health.",
    schema: (o) => o.instancesInputSchema,
    parameters: instancesSchema,
    run: (o, ctx, input: z.output<typeof Ops.instancesInputSchema>) => o.listInstances(ctx, input),
    summary: (d) =>
      arr(d.instances)
        .map((i) => `${txt(i.instanceId)} (${txt(i.id)}): ${txt(i.state)}, ${txt(i.health)}`)
        .join("\n") || "no instances",
  },
  {
    name: "infra_assess_risk",
    label: "Assess an infrastructure operation's risk",
    description:
      "What the security gate would decide for a command (risk score, level, factors, each check's reason). Records nothing and runs nothing.",
    schema: (o) => o.riskInputSchema,
    parameters: commandSchema,
    run: (o, ctx, input: z.output<typeof Ops.riskInputSchema>) => o.assessRisk(ctx, input),
    summary: (d) => {
      const decision = rec(d.decision);
      const risk = rec(decision.risk);
      const reasons = arr(decision.reasons)
        .map((r) => `- ${txt(r.check)}: ${txt(r.message)}`)
        .join("\n");
      return `${txt(d.command)} on ${txt(d.instanceId)}: ${txt(decision.outcome)}; risk ${txt(risk.score)}/100 (${txt(risk.level)})\n${reasons}`;
    },
  },
  {
    name: "infra_run_command",
    label: "Run an infrastructure command",
    description:
      "Run a provider command through validation, the security gate (RBAC, time windows, approvals) and the audit log. A change may come back waiting for approval or confirmation; ask the user before setting confirm.",
    schema: (o) => o.execInputSchema,
    parameters: commandSchema,
    run: (o, ctx, input: z.output<typeof Ops.execInputSchema>) => o.execCommand(ctx, input),
    summary: execSummary,
  },
  {
    name: "infra_list_approvals",
    label: "List approval requests",
    description: "List infrastructure approval requests (optionally only pending ones).",
    schema: (o) => o.approvalsListInputSchema,
    parameters: approvalsSchema,
    run: (o, ctx, input: z.output<typeof Ops.approvalsListInputSchema>) => o.listApprovals(ctx, input),
    summary: (d) =>
      arr(d.approvals)
        .map(
          (a) =>
            `${txt(a.id)}: ${txt(a.status)} — ${txt(a.commandId)} by ${txt(a.requester)} in ${txt(a.environment)} (risk ${txt(a.riskLevel)})`,
        )
        .join("\n") || "no approval requests",
  },
  {
    name: "infra_decide_approval",
    label: "Approve or reject an approval request",
    description:
      "Approve or reject an approval request as the assistant's user; once approved the waiting operation runs.",
    schema: (o) => o.approvalDecisionInputSchema,
    parameters: decideSchema,
    run: (o, ctx, input: z.output<typeof Ops.approvalDecisionInputSchema>) => o.decideApproval(ctx, input),
    summary: (d) =>
      `approval ${txt(rec(d.approval).id)}: ${txt(rec(d.approval).status)}${d.operation === undefined ? "" : `\n${execSummary(rec(d.operation))}`}`,
  },
] as const satisfies readonly ToolSpec[];

/** Builds one host tool over the shared framework. */
function createTool(spec: ToolSpec, runtime: GatewayRuntime): HostTool {
  return {
    name: spec.name,
    label: spec.label,
    description: spec.description,
    parameters: z.toJSONSchema(spec.parameters, { io: "input", unrepresentable: "any" }),
    async execute(
      _toolCallId: string,
      params: unknown,
      signal?: AbortSignal,
      onUpdate?: (partial: ToolResult) => void,
    ): Promise<ToolResult> {
      const ops = await import("./operations.js");
      const input = ops.parseInput(spec.schema(ops), params ?? {});
      if (!input.ok)
        throw new ToolFailure(input.error.code, input.error.message, { issues: input.error.issues });
      const framework = await runtime.framework();
      const ctx: OperationContext = {
        framework,
        user: TOOL_USER,
        ...(signal === undefined ? {} : { signal }),
        ...(onUpdate === undefined
          ? {}
          : {
              onProgress: (message: string) =>
                onUpdate({ content: [{ type: "text", text: message }], details: { progress: message } }),
            }),
      };
      const result = await spec.run(ops, ctx, input.data as never);
      if (!result.ok)
        throw new ToolFailure(
          result.error.code,
          result.error.message,
          ops.toJsonData({ issues: result.error.issues, data: result.data }),
        );
      const details = ops.toJsonData(result.data);
      const { redactSecretText } = await import("@espada/infra-core");
      return { content: [{ type: "text", text: redactSecretText(spec.summary(rec(details))) }], details };
    },
  };
}

/** Registers every agent tool. */
export function registerAgentTools(api: HostPluginApi, runtime: GatewayRuntime): void {
  for (const spec of TOOLS) api.registerTool(createTool(spec, runtime), { name: spec.name });
}
