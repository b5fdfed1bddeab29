import { z } from "zod";
import { deferred } from "../deferredSchema.js";
import { RISK_LEVELS } from "../security.js";
import { MAX_TIMER_MS } from "../async.js";
import { isRecord } from "../validation/record.js";

// The policies of the security facade (`securityConfig.policies`): roles and assignments, deny rules,
// deployment and blackout windows, approval chains, break-glass policies and risk weights. Core owns
// the schema (one configuration schema for every package); `@espada/infra-security` interprets it.
// Every schema here, the internal helpers too, is built on first use (`deferred`): they are ~250 zod
// instances, and a process whose configuration has no `policies` (a CLI `status`) never parses with them.

/** The 15 permissions of the spec's RBAC section. */
export const INFRA_PERMISSIONS = [
  "infra:read",
  "infra:create",
  "infra:update",
  "infra:delete",
  "infra:scale",
  "infra:migrate",
  "infra:backup",
  "infra:restore",
  "infra:security",
  "infra:network",
  "infra:access",
  "infra:audit",
  "infra:approve",
  "infra:admin",
  "infra:break-glass",
] as const;
/** Schema of a permission. */
export const infraPermissionSchema = deferred(() => z.enum(INFRA_PERMISSIONS));
/** A permission (`infra:read`, `infra:delete`, …). */
export type InfraPermission = z.infer<typeof infraPermissionSchema>;

/** Operation types the risk scorer weighs: a permission without its `infra:` prefix. */
export const OPERATION_TYPES = [
  "read",
  "create",
  "update",
  "delete",
  "scale",
  "migrate",
  "backup",
  "restore",
  "security",
  "network",
  "access",
  "audit",
  "approve",
  "admin",
  "break-glass",
] as const;
/** An operation type (`delete`, `network`, …). */
export type OperationType = (typeof OPERATION_TYPES)[number];

/** Days of the week, Monday first (ISO order). */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
/** A day of the week. */
export type Weekday = (typeof WEEKDAYS)[number];

/** The approval conditions of the spec. */
export const APPROVAL_CONDITIONS = [
  "time-window",
  "parameter-override",
  "monitoring-required",
  "rollback-plan",
] as const;
/** An approval condition. */
export type ApprovalCondition = (typeof APPROVAL_CONDITIONS)[number];

const positiveInt = deferred(() => z.number().int().positive());
const nonNegativeInt = deferred(() => z.number().int().nonnegative());
const timerMs = deferred(() =>
  positiveInt.max(
    MAX_TIMER_MS,
    `must be at most ${MAX_TIMER_MS} ms (the longest delay a Node timer honours)`,
  ),
);
const policyId = deferred(() => z.string().min(1).max(128));
const environmentName = deferred(() => z.string().min(1));
const riskLevelSchema = deferred(() => z.enum(RISK_LEVELS));
const weight = deferred(() => z.number().min(0).max(1));
const score = deferred(() => z.number().min(0).max(100));

/** Zones already checked valid; `UTC` needs no check (building the first `Intl` formatter loads ICU). */
const knownTimeZones = new Set(["UTC"]);

/** Whether `source` compiles as a regular expression (the one check of a pattern in the config). */
export function isRegexSource(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(zone: string): boolean {
  if (knownTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    return false;
  }
  knownTimeZones.add(zone);
  return true;
}

/** An IANA time zone name (`Europe/London`, `UTC`), checked against the runtime's zone database. */
export const timeZoneSchema = deferred(() =>
  z
    .string()
    .min(1)
    .refine(isTimeZone, {
      message: "is not an IANA time zone known to this runtime",
      params: { code: "INVALID_TIME_ZONE" },
    }),
);

const clock = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
/** A local wall-clock time `HH:mm` (00:00–23:59). */
const startTimeSchema = deferred(() =>
  z.string().regex(clock, "must be a time HH:mm between 00:00 and 23:59"),
);
/** A local wall-clock end time `HH:mm`; `24:00` means the end of the day. */
const endTimeSchema = deferred(() =>
  z.string().regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, "must be a time HH:mm between 00:01 and 24:00"),
);

const scheduleShape = deferred(() => ({
  /** Days the window opens on (a window crossing midnight belongs to the day it opens). */
  days: z
    .array(z.enum(WEEKDAYS))
    .min(1)
    .default(() => [...WEEKDAYS]),
  /** Local opening time. */
  start: startTimeSchema,
  /** Local closing time; earlier than `start` means the window crosses midnight. */
  end: endTimeSchema,
  /** IANA time zone the times are read in. */
  timezone: timeZoneSchema.default("UTC"),
}));

function startBeforeEnd(value: { start: string; end: string }, ctx: z.RefinementCtx): void {
  if (value.start === value.end) {
    ctx.addIssue({
      code: "custom",
      path: ["end"],
      message: "must differ from start",
      params: { code: "EMPTY_WINDOW" },
    });
  }
}

/** Schema of a weekly schedule: days, local start/end time and an IANA time zone. */
export const scheduleSchema = deferred(() =>
  z.strictObject({ ...scheduleShape }).superRefine(startBeforeEnd),
);
/** A weekly schedule. */
export type Schedule = z.infer<typeof scheduleSchema>;

/** Schema of a role: permissions, environments, and optional schedule, cost and rate limits. */
export const roleSchema = deferred(() =>
  z.strictObject({
    id: policyId,
    description: z.string().optional(),
    permissions: z.array(infraPermissionSchema).default(() => []),
    /** Environments the role applies in; absent means every environment. */
    environments: z.array(environmentName).min(1).optional(),
    /** The role grants only inside this weekly schedule. */
    schedule: scheduleSchema.optional(),
    /** Largest estimated cost of one operation the role allows (operations that declare a cost). */
    maxCost: z.number().nonnegative().optional(),
    /** At most `maxOperations` allowed operations per user every `windowMs`. */
    rateLimit: z.strictObject({ maxOperations: positiveInt, windowMs: timerMs }).optional(),
  }),
);
/** A role. */
export type Role = z.infer<typeof roleSchema>;

/** Schema of a role assignment made in configuration. */
export const roleAssignmentSchema = deferred(() =>
  z.strictObject({
    userId: z.string().min(1),
    roleId: policyId,
    /** Narrows the role to these environments; absent keeps the role's own scope. */
    environments: z.array(environmentName).min(1).optional(),
    /** ISO 8601 instant after which the assignment no longer applies. */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  }),
);
/** A role assignment. */
export type RoleAssignment = z.infer<typeof roleAssignmentSchema>;

/** Schema of an explicit deny rule; a matching deny beats every allow. */
export const denyRuleSchema = deferred(() =>
  z.strictObject({
    id: policyId,
    description: z.string().optional(),
    /** Users it applies to; absent (with `roles` absent too) means everyone. */
    users: z.array(z.string().min(1)).min(1).optional(),
    /** Holders of these roles; absent means regardless of role. */
    roles: z.array(policyId).min(1).optional(),
    /** Denied permissions; `*` denies all. */
    permissions: z.array(z.union([infraPermissionSchema, z.literal("*")])).min(1),
    environments: z.array(environmentName).min(1).optional(),
    /** Glob patterns of resource ids (`*-prod-*`); absent means any resource. */
    resources: z.array(z.string().min(1)).min(1).optional(),
  }),
);
/** A deny rule. */
export type DenyRule = z.infer<typeof denyRuleSchema>;

/** Schema of a deployment window: when operations in its environments and risk levels may run. */
export const timeWindowSchema = deferred(() =>
  z
    .strictObject({
      id: policyId,
      /** Environments it governs; absent means every environment. */
      environments: z.array(environmentName).min(1).optional(),
      /** Risk levels it governs; absent means every level. */
      riskLevels: z.array(riskLevelSchema).min(1).optional(),
      ...scheduleShape,
    })
    .superRefine(startBeforeEnd),
);
/** A deployment window. */
export type TimeWindow = z.infer<typeof timeWindowSchema>;

/** Schema of a blackout: an absolute period in which nothing in its environments may run. */
export const blackoutWindowSchema = deferred(() =>
  z
    .strictObject({
      id: policyId,
      environments: z.array(environmentName).min(1).optional(),
      riskLevels: z.array(riskLevelSchema).min(1).optional(),
      /** ISO 8601 instant with an offset. */
      start: z.iso.datetime({ offset: true }),
      end: z.iso.datetime({ offset: true }),
      reason: z.string().optional(),
    })
    .superRefine((value, ctx) => {
      if (Date.parse(value.end) <= Date.parse(value.start)) {
        ctx.addIssue({
          code: "custom",
          path: ["end"],
          message: "must be after start",
          params: { code: "EMPTY_WINDOW" },
        });
      }
    }),
);
/** A blackout window. */
export type BlackoutWindow = z.infer<typeof blackoutWindowSchema>;

/** Schema of one step of an approval chain: N distinct approvers holding a role. */
export const approvalStepSchema = deferred(() =>
  z.strictObject({
    role: policyId,
    approvers: positiveInt.default(1),
  }),
);
/** An approval step. */
export type ApprovalStep = z.infer<typeof approvalStepSchema>;

/** Schema of an approval chain, chosen by risk level and environment. */
export const approvalChainSchema = deferred(() =>
  z.strictObject({
    id: policyId,
    riskLevels: z.array(riskLevelSchema).min(1),
    /** Environments it applies in; absent means every environment. */
    environments: z.array(environmentName).min(1).optional(),
    steps: z.array(approvalStepSchema).min(1),
    /** A pending request expires after this long. */
    expiresAfterMs: timerMs.default(86_400_000),
    /** When a step waits longer than `afterMs`, holders of `toRole` may approve it too (once). */
    escalation: z.strictObject({ afterMs: timerMs, toRole: policyId }).optional(),
    conditions: z.array(z.enum(APPROVAL_CONDITIONS)).default(() => []),
  }),
);
/** An approval chain. */
export type ApprovalChain = z.infer<typeof approvalChainSchema>;

/** Schema of a break-glass policy for one environment (`*` for every other one). */
export const breakGlassPolicySchema = deferred(() =>
  z.strictObject({
    environment: environmentName,
    enabled: z.boolean().default(true),
    maxDurationMs: timerMs.default(3_600_000),
    /** Accepted reason codes. */
    reasonCodes: z
      .array(z.string().min(1))
      .min(1)
      .default(() => ["incident", "outage", "security-incident", "data-recovery"]),
    minJustificationLength: nonNegativeInt.default(10),
    requireTicket: z.boolean().default(false),
    /** Regular expression (source) a ticket must match when given. */
    ticketPattern: z
      .string()
      .refine(isRegexSource, { message: "is not a valid regular expression" })
      .optional(),
    /** After a session of a user ends, that user waits this long before the next one. */
    cooldownMs: nonNegativeInt.max(MAX_TIMER_MS).default(0),
    /** Most sessions active at once in the environment. */
    maxConcurrent: positiveInt.default(1),
  }),
);
/** A break-glass policy. */
export type BreakGlassPolicy = z.infer<typeof breakGlassPolicySchema>;

/** Schema of the risk scorer's weights (defaults: the spec's table). */
export const riskWeightsSchema = deferred(() =>
  z.strictObject({
    environment: weight.default(0.25),
    operationType: weight.default(0.2),
    resourceCount: weight.default(0.1),
    resourceCriticality: weight.default(0.15),
    timeOfDay: weight.default(0.05),
    userHistory: weight.default(0.1),
    recentChanges: weight.default(0.1),
    rollbackAvailability: weight.default(0.05),
  }),
);
/** Risk weights. */
export type RiskWeights = z.infer<typeof riskWeightsSchema>;

/** Default 0–100 score of each operation type (delete 90, security 85, network 80 … audit 10). */
export const DEFAULT_OPERATION_TYPE_SCORES: Readonly<Record<OperationType, number>> = {
  "break-glass": 95,
  delete: 90,
  security: 85,
  admin: 85,
  network: 80,
  migrate: 75,
  access: 70,
  restore: 70,
  scale: 50,
  update: 45,
  create: 40,
  approve: 30,
  backup: 25,
  read: 10,
  audit: 10,
};

/** Schema of the risk scorer's settings. */
export const riskPolicySchema = deferred(() =>
  z.strictObject({
    weights: riskWeightsSchema.prefault({}),
    /** Multiplier per environment (production 2×, staging 1.2×, development 0.5×). */
    environmentMultipliers: z
      .record(environmentName, z.number().positive().max(10))
      .default(() => ({ production: 2, staging: 1.2, development: 0.5 })),
    /** Multiplier of an environment not listed. */
    defaultEnvironmentMultiplier: z.number().positive().max(10).default(1),
    /** Overrides of the operation-type scores (merged over the defaults). */
    operationTypeScores: z.partialRecord(z.enum(OPERATION_TYPES), score).default(() => ({})),
    /** Resource-id glob patterns and their criticality (the highest match counts). */
    criticalityPatterns: z.array(z.strictObject({ pattern: z.string().min(1), score })).default(() => [
      { pattern: "*-database-*", score: 100 },
      { pattern: "*-db-*", score: 90 },
      { pattern: "*-prod-*", score: 90 },
      { pattern: "prod-*", score: 90 },
      { pattern: "*-prod", score: 90 },
      { pattern: "*-production-*", score: 90 },
      { pattern: "*-payment*", score: 90 },
      { pattern: "*-secret*", score: 85 },
    ]),
    /** Working hours; operations outside them score the time-of-day factor at 100. */
    businessHours: scheduleSchema.prefault({
      days: ["mon", "tue", "wed", "thu", "fri"],
      start: "09:00",
      end: "18:00",
    }),
    /** How far back a user's successes and failures count. */
    historyWindowMs: positiveInt.max(366 * 86_400_000).default(30 * 86_400_000),
    /** How far back changes to the same resources count. */
    recentChangesWindowMs: positiveInt.max(366 * 86_400_000).default(86_400_000),
  }),
);
/** Risk scorer settings. */
export type RiskPolicy = z.infer<typeof riskPolicySchema>;

const DEFAULT_ROLES: z.input<typeof roleSchema>[] = [
  { id: "admin", description: "Every permission in every environment", permissions: [...INFRA_PERMISSIONS] },
  {
    id: "sre",
    description: "Operates every environment; approves and may break glass",
    permissions: [
      "infra:read",
      "infra:create",
      "infra:update",
      "infra:delete",
      "infra:scale",
      "infra:migrate",
      "infra:backup",
      "infra:restore",
      "infra:network",
      "infra:audit",
      "infra:approve",
      "infra:break-glass",
    ],
  },
  {
    id: "developer",
    description: "Builds and changes development and staging",
    permissions: [
      "infra:read",
      "infra:create",
      "infra:update",
      "infra:delete",
      "infra:scale",
      "infra:backup",
    ],
    environments: ["development", "staging"],
  },
  { id: "viewer", description: "Reads everything", permissions: ["infra:read", "infra:audit"] },
];

/** The default chain's objects, so validation can tell a defaulted `approvalChains` from a written one. */
const defaultChains = new WeakSet<object>();

/** The default approval chains: `critical` risk anywhere needs 1 approver holding role `admin`. */
function defaultApprovalChains(): z.infer<typeof approvalChainSchema>[] {
  const chain = approvalChainSchema.parse({
    id: "critical",
    riskLevels: ["critical"],
    steps: [{ role: "admin", approvers: 1 }],
  });
  defaultChains.add(chain);
  return [chain];
}

/** Schema of `securityConfig.policies`: every policy of the security facade. */
export const securityPoliciesSchema = deferred(() =>
  z
    .strictObject({
      /** Roles; default: admin, sre, developer, viewer (see the security package README). */
      roles: z.array(roleSchema).default(() => roleSchema.array().parse(DEFAULT_ROLES)),
      assignments: z.array(roleAssignmentSchema).default(() => []),
      denyRules: z.array(denyRuleSchema).default(() => []),
      timeWindows: z.array(timeWindowSchema).default(() => []),
      blackouts: z.array(blackoutWindowSchema).default(() => []),
      /** Approval chains; default: one chain `critical` (critical risk anywhere → 1 approver with role `admin`). */
      approvalChains: z.array(approvalChainSchema).default(defaultApprovalChains),
      breakGlass: z
        .array(breakGlassPolicySchema)
        .default(() => [breakGlassPolicySchema.parse({ environment: "*" })]),
      risk: riskPolicySchema.prefault({}),
      /** Operations at or above this risk level need explicit confirmation (when no approval chain applies). */
      confirmAtRiskLevel: riskLevelSchema.default("high"),
    })
    .superRefine((policies, ctx) => checkPolicyReferences(policies, ctx), {
      when: (payload) => isRecord(payload.value),
    }),
);
/** Every policy of the security facade. */
export type SecurityPolicies = z.infer<typeof securityPoliciesSchema>;
/** What a user may write for `securityConfig.policies`. */
export type SecurityPoliciesInput = z.input<typeof securityPoliciesSchema>;

function checkPolicyReferences(policies: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(policies)) return;
  const list = (key: string): unknown[] => (Array.isArray(policies[key]) ? (policies[key] as unknown[]) : []);
  const unique = (key: string, field: string): void => {
    const seen = new Map<string, number>();
    list(key).forEach((item, index) => {
      if (!isRecord(item) || typeof item[field] !== "string") return;
      const id = item[field];
      const first = seen.get(id);
      if (first === undefined) seen.set(id, index);
      else
        ctx.addIssue({
          code: "custom",
          path: [key, index, field],
          message: `duplicate ${field} "${id}" (already used by ${key}[${first}])`,
          params: { code: "DUPLICATE_ID" },
        });
    });
  };
  unique("roles", "id");
  unique("denyRules", "id");
  unique("timeWindows", "id");
  unique("blackouts", "id");
  unique("approvalChains", "id");
  unique("breakGlass", "environment");
  const roles = new Set(
    list("roles").flatMap((role) => (isRecord(role) && typeof role.id === "string" ? [role.id] : [])),
  );
  const checkRole = (roleId: unknown, path: (string | number)[]): void => {
    if (typeof roleId === "string" && !roles.has(roleId))
      ctx.addIssue({
        code: "custom",
        path,
        message: `names role "${roleId}", which is not in roles`,
        params: { code: "UNKNOWN_ROLE" },
      });
  };
  list("assignments").forEach((a, i) => {
    if (isRecord(a)) checkRole(a.roleId, ["assignments", i, "roleId"]);
  });
  list("denyRules").forEach((rule, i) => {
    if (isRecord(rule) && Array.isArray(rule.roles))
      (rule.roles as unknown[]).forEach((r, j) => checkRole(r, ["denyRules", i, "roles", j]));
  });
  list("approvalChains").forEach((chain, i) => {
    if (!isRecord(chain)) return;
    if (defaultChains.has(chain)) {
      // `approvalChains` was not written: the default chain needs an `admin` role.
      if (!roles.has("admin"))
        ctx.addIssue({
          code: "custom",
          path: ["approvalChains"],
          message:
            'is not set, so the default chain applies (critical risk needs 1 approver with role "admin"), but roles has no "admin": add an "admin" role or set approvalChains',
          params: { code: "UNKNOWN_ROLE" },
        });
      return;
    }
    if (Array.isArray(chain.steps))
      (chain.steps as unknown[]).forEach((step, j) => {
        if (isRecord(step)) checkRole(step.role, ["approvalChains", i, "steps", j, "role"]);
      });
    if (isRecord(chain.escalation))
      checkRole(chain.escalation.toRole, ["approvalChains", i, "escalation", "toRole"]);
  });
}
