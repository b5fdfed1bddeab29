// Gateway methods: `infrastructure/<name>` handlers that validate params with the operation's zod
// schema, run the shared operation and answer once with `respond(ok, payload, error)`. They never
// throw out: any failure becomes `respond(false, undefined, { code, message, details })`.
import type { ZodType } from "zod";
import type { GatewayErrorShape, GatewayHandler, GatewayHandlerOptions, HostPluginApi } from "./host.js";
import type * as Ops from "./operations.js";
import type { OperationContext, OperationResult } from "./operations.js";
import type { InfrastructureFramework } from "./framework.js";

/** Prefix of every gateway method of this plugin. */
export const GATEWAY_PREFIX = "infrastructure/";

/** What a gateway method needs from the plugin. */
export interface GatewayRuntime {
  /** The shared framework (built on first use). */
  framework(): Promise<InfrastructureFramework>;
}

/** One gateway method: its name, the operation it runs, how the caller's user is found. */
interface MethodSpec {
  readonly name: string;
  readonly description: string;
  run(
    ops: typeof Ops,
    ctx: OperationContext,
    params: Record<string, unknown>,
  ): Promise<OperationResult<unknown>>;
}

/** The user a gateway call acts as: `params.user` (validated), else the gateway's own identity. */
export const GATEWAY_DEFAULT_USER = "gateway";

function withSchema<S>(
  pick: (ops: typeof Ops) => ZodType<S>,
  run: (ops: typeof Ops, ctx: OperationContext, input: S) => Promise<OperationResult<unknown>>,
): MethodSpec["run"] {
  return async (ops, ctx, params) => {
    const input = ops.parseInput(pick(ops), params);
    if (!input.ok) return input;
    return run(ops, ctx, input.data);
  };
}

/** Every gateway method, by name (without the prefix). */
export const GATEWAY_METHODS: readonly MethodSpec[] = [
  {
    name: "providers",
    description: "All registered factories (id, meta, registeredAt)",
    run: withSchema(
      (o) => o.providersInputSchema,
      (o, ctx) => o.listProviders(ctx),
    ),
  },
  {
    name: "instances",
    description: "All active instances (id, instanceId, state, createdAt)",
    run: withSchema(
      (o) => o.instancesInputSchema,
      (o, ctx, input) => o.listInstances(ctx, input),
    ),
  },
  {
    name: "status",
    description: "Registry statistics (factories, instances, lifecycle stats, health summary)",
    run: withSchema(
      (o) => o.statusInputSchema,
      (o, ctx, input) => o.frameworkStatus(ctx, input),
    ),
  },
  {
    name: "discover",
    description: "Run plugin discovery and register what it finds",
    run: withSchema(
      (o) => o.discoverInputSchema,
      (o, ctx, input) => o.discoverProviders(ctx, input),
    ),
  },
  {
    name: "exec",
    description: "Run a provider command through validation, the security gate and the audit",
    run: withSchema(
      (o) => o.execInputSchema,
      (o, ctx, input) => o.execCommand(ctx, input),
    ),
  },
  {
    name: "risk",
    description: "What the security gate would decide for a command (records nothing)",
    run: withSchema(
      (o) => o.riskInputSchema,
      (o, ctx, input) => o.assessRisk(ctx, input),
    ),
  },
  {
    name: "sessions",
    description: "Sessions and their pending operations",
    run: withSchema(
      (o) => o.sessionsInputSchema,
      (o, ctx, input) => o.listSessions(ctx, input),
    ),
  },
  {
    name: "approvals",
    description: "Approval requests (optionally of one status)",
    run: withSchema(
      (o) => o.approvalsListInputSchema,
      (o, ctx, input) => o.listApprovals(ctx, input),
    ),
  },
  {
    name: "approvals/decide",
    description: "Approve or reject a request; the waiting operation is resumed",
    run: withSchema(
      (o) => o.approvalDecisionInputSchema,
      (o, ctx, input) => o.decideApproval(ctx, input),
    ),
  },
  {
    name: "chat",
    description: "One message through the conversational pipeline",
    run: withSchema(
      (o) => o.chatInputSchema,
      (o, ctx, input) => o.chat(ctx, input),
    ),
  },
];

/** The full method names (`infrastructure/providers`, …). */
export const GATEWAY_METHOD_NAMES: readonly string[] = GATEWAY_METHODS.map(
  (m) => `${GATEWAY_PREFIX}${m.name}`,
);

/** Splits the gateway's own `user` param from the operation's params. */
function splitUser(params: unknown): { user: unknown; rest: Record<string, unknown> } {
  if (params === null || typeof params !== "object" || Array.isArray(params))
    return { user: undefined, rest: {} };
  const { user, ...rest } = params as Record<string, unknown>;
  return { user, rest };
}

function errorShape(
  error: { code: string; message: string; issues?: readonly unknown[] },
  data?: unknown,
): GatewayErrorShape {
  const details = {
    ...(error.issues === undefined ? {} : { issues: error.issues }),
    ...(data === undefined ? {} : { data }),
  };
  return {
    code: error.code,
    message: error.message,
    ...(Object.keys(details).length === 0 ? {} : { details }),
  };
}

/** Builds the handler of one method; it answers exactly once and never throws. */
export function createGatewayHandler(method: MethodSpec, runtime: GatewayRuntime): GatewayHandler {
  return async (options: GatewayHandlerOptions) => {
    let answered = false;
    const respond = (ok: boolean, payload?: unknown, error?: GatewayErrorShape): void => {
      if (answered) return;
      answered = true;
      try {
        if (ok) options.respond(true, payload);
        else options.respond(false, undefined, error);
      } catch {
        // the connection is gone; nothing more to do
      }
    };
    try {
      const ops = await import("./operations.js");
      const { user, rest } = splitUser(options.params ?? {});
      if (params(options.params) === undefined) {
        respond(false, undefined, { code: "VALIDATION_FAILED", message: "params: must be an object" });
        return;
      }
      if (user !== undefined && (typeof user !== "string" || user.trim() === "" || user.length > 200)) {
        respond(false, undefined, {
          code: "VALIDATION_FAILED",
          message: "user: must be a non-empty string",
          details: {
            issues: [{ code: "INVALID_VALUE", message: "must be a non-empty string", path: "user" }],
          },
        });
        return;
      }
      const framework = await runtime.framework();
      const ctx: OperationContext = {
        framework,
        user: typeof user === "string" ? user.trim() : GATEWAY_DEFAULT_USER,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      };
      const result = await method.run(ops, ctx, rest);
      if (result.ok) respond(true, ops.toJsonData(result.data));
      else
        respond(
          false,
          undefined,
          errorShape(result.error, result.data === undefined ? undefined : ops.toJsonData(result.data)),
        );
    } catch (error) {
      try {
        const { toOperationError } = await import("./operations.js");
        respond(false, undefined, errorShape(toOperationError(error)));
      } catch {
        respond(false, undefined, { code: "INTERNAL_ERROR", message: "the request could not be handled" });
      }
    }
  };
}

function params(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

/** Registers every `infrastructure/*` gateway method. */
export function registerGatewayMethods(api: HostPluginApi, runtime: GatewayRuntime): void {
  for (const method of GATEWAY_METHODS)
    api.registerGatewayMethod(`${GATEWAY_PREFIX}${method.name}`, createGatewayHandler(method, runtime));
}
