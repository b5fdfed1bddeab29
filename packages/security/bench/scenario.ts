// The benchmark scenario: 50 roles, 1,000 users, deny rules, 20 windows, 10 approval chains and
// a set of requests, generated from a fixed seed so every engine sees the same policies.
import type { InfraPermission, OperationRequest, SecurityPoliciesInput } from "@espada/infra-core";
import { INFRA_PERMISSIONS } from "@espada/infra-core";

const ENVS = ["production", "staging", "development"] as const;
const RESOURCES = ["web-1", "api-prod-2", "cache-3", "main-database-1", "queue-7"] as const;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface BenchRole {
  id: string;
  permissions: InfraPermission[];
  environments?: string[];
}
interface BenchDeny {
  id: string;
  users?: string[];
  roles?: string[];
  permissions: (InfraPermission | "*")[];
  environments?: string[];
  resources?: string[];
}
export interface Scenario {
  roles: BenchRole[];
  assignments: { userId: string; roleId: string }[];
  denyRules: BenchDeny[];
  policies: SecurityPoliciesInput;
  requests: OperationRequest[];
  /** The RBAC question of each request (same order). */
  questions: { userId: string; permission: InfraPermission; environment: string; resource: string }[];
}

const COMMANDS: { id: string; category: OperationRequest["commandCategory"]; permission: InfraPermission }[] =
  [
    { id: "list-instances", category: "monitor", permission: "infra:read" },
    { id: "create-instance", category: "provision", permission: "infra:create" },
    { id: "delete-instance", category: "provision", permission: "infra:delete" },
    { id: "scale-group", category: "manage", permission: "infra:scale" },
    { id: "update-config", category: "manage", permission: "infra:update" },
    { id: "backup-volume", category: "manage", permission: "infra:backup" },
    { id: "restore-volume", category: "manage", permission: "infra:restore" },
    { id: "migrate-database", category: "manage", permission: "infra:migrate" },
    { id: "update-firewall", category: "manage", permission: "infra:network" },
    { id: "grant-access", category: "manage", permission: "infra:access" },
    { id: "rotate-keys", category: "security", permission: "infra:security" },
  ];

export function scenario(requestCount: number): Scenario {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const subset = <T>(xs: readonly T[], min: number, max: number): T[] => {
    const n = min + Math.floor(r() * (max - min + 1));
    const out = new Set<T>();
    while (out.size < n) out.add(pick(xs));
    return [...out];
  };
  const zones = ["UTC", "Europe/London", "America/New_York", "America/Santiago", "Asia/Tokyo"];
  const roles: BenchRole[] = [];
  const policyRoles: NonNullable<SecurityPoliciesInput["roles"]> = [];
  for (let i = 0; i < 50; i++) {
    const role: BenchRole = {
      id: `r${String(i).padStart(2, "0")}`,
      permissions: subset(INFRA_PERMISSIONS, 3, 8),
    };
    if (i % 3 !== 0) role.environments = subset(ENVS, 1, 2);
    roles.push(role);
    policyRoles.push({
      ...role,
      // some roles carry a (never binding) rate limit and an always-open schedule, so the full check exercises them
      ...(i % 5 === 1 ? { rateLimit: { maxOperations: 1_000_000_000, windowMs: 3_600_000 } } : {}),
      ...(i % 7 === 2 ? { schedule: { start: "00:00", end: "24:00", timezone: pick(zones) } } : {}),
    });
  }
  const unscoped = roles.filter((x) => x.environments === undefined).map((x) => x.id);
  const assignments: { userId: string; roleId: string }[] = [];
  const users: string[] = [];
  for (let u = 0; u < 1000; u++) {
    const userId = `u${String(u).padStart(4, "0")}`;
    users.push(userId);
    for (const role of subset(roles, 1, 3)) assignments.push({ userId, roleId: role.id });
  }
  const denyRules: BenchDeny[] = [];
  for (let d = 0; d < 3; d++)
    denyRules.push({
      id: `deny-user-${d}`,
      users: subset(users, 1, 20),
      permissions: subset(INFRA_PERMISSIONS, 1, 4),
      environments: [pick(ENVS)],
    });
  denyRules.push({
    id: "deny-role-all",
    roles: [pick(unscoped)],
    permissions: ["*"],
    environments: ["production"],
  });
  denyRules.push({
    id: "deny-role-prod-res",
    roles: [pick(unscoped)],
    permissions: subset(INFRA_PERMISSIONS, 2, 5),
    resources: ["*-prod-*"],
  });
  const days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
  const timeWindows: NonNullable<SecurityPoliciesInput["timeWindows"]> = [];
  for (let w = 0; w < 20; w++) {
    timeWindows.push({
      id: `w${w}`,
      environments: [pick(ENVS)],
      riskLevels: subset(["critical", "high", "medium", "low", "minimal"] as const, 1, 3),
      ...(w % 2 === 0
        ? { days: [...days], start: "00:00", end: "24:00" }
        : { days: ["mon", "tue", "wed", "thu", "fri"], start: "08:00", end: "20:00" }),
      timezone: pick(zones),
    });
  }
  const approvalChains: NonNullable<SecurityPoliciesInput["approvalChains"]> = [];
  for (let c = 0; c < 10; c++) {
    approvalChains.push({
      id: `chain${c}`,
      riskLevels: [c % 2 === 0 ? "critical" : "high"],
      environments: [pick(ENVS)],
      steps: [{ role: pick(roles).id, approvers: 1 + (c % 2) }],
    });
  }
  const requests: OperationRequest[] = [];
  const questions: Scenario["questions"] = [];
  for (let i = 0; i < requestCount; i++) {
    const command = pick(COMMANDS);
    const userId = pick(users);
    const environment = pick(ENVS);
    const resource = pick(RESOURCES);
    requests.push({
      operationId: `op-${i}`,
      commandId: command.id,
      commandCategory: command.category,
      providerId: "bench",
      userId,
      environment,
      params: { target: resource },
      resourceIds: [resource],
      dangerous: false,
      mutating: command.category !== "monitor",
      dryRun: false,
      rollbackAvailable: r() < 0.5,
      confirmationRequired: false,
      confirmationReasons: [],
      confirmed: true,
      resumed: false,
    });
    questions.push({ userId, permission: command.permission, environment, resource });
  }
  return {
    roles,
    assignments,
    denyRules,
    policies: {
      roles: policyRoles,
      assignments,
      denyRules,
      timeWindows,
      approvalChains,
      breakGlass: [{ environment: "*" }],
    },
    requests,
    questions,
  };
}

/** The scenario's roles and rules as a Cedar policy set (role permits, user and role forbids). */
export function cedarPolicies(s: Scenario): string {
  const actions = (ps: readonly string[]): string =>
    ps.includes("*") ? "action" : `action in [${ps.map((p) => `Action::"${p}"`).join(", ")}]`;
  const envs = (es: readonly string[] | undefined): string[] =>
    es === undefined ? [] : [`[${es.map((e) => `"${e}"`).join(", ")}].contains(context.env)`];
  const out: string[] = [];
  for (const role of s.roles) {
    const when = envs(role.environments);
    out.push(
      `permit(principal in Role::"${role.id}", ${actions(role.permissions)}, resource)${when.length > 0 ? ` when { ${when.join(" && ")} }` : ""};`,
    );
  }
  for (const rule of s.denyRules) {
    const conditions = [
      ...envs(rule.environments),
      ...(rule.resources ?? []).map((g) => `context.resource like "${g}"`),
    ];
    const principals =
      rule.users !== undefined
        ? rule.users.map((u) => `principal == User::"${u}"`)
        : (rule.roles ?? []).map((r) => `principal in Role::"${r}"`);
    for (const p of principals)
      out.push(
        `forbid(${p}, ${actions(rule.permissions)}, resource)${conditions.length > 0 ? ` when { ${conditions.join(" && ")} }` : ""};`,
      );
  }
  return out.join("\n");
}

/** The scenario as a casbin policy (RBAC with domains and deny-override). */
export const CASBIN_MODEL = `
[request_definition]
r = sub, dom, act, res

[policy_definition]
p = sub, dom, act, res, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && (p.dom == "*" || r.dom == p.dom) && (p.act == "*" || r.act == p.act) && (p.res == "*" || globMatch(r.res, p.res))
`;

export function casbinPolicy(s: Scenario): string {
  const lines: string[] = [];
  for (const role of s.roles)
    for (const p of role.permissions)
      for (const e of role.environments ?? ["*"]) lines.push(`p, ${role.id}, ${e}, ${p}, *, allow`);
  for (const rule of s.denyRules) {
    const subjects = rule.users ?? rule.roles ?? [];
    for (const sub of subjects)
      for (const p of rule.permissions)
        for (const e of rule.environments ?? ["*"])
          for (const res of rule.resources ?? ["*"]) lines.push(`p, ${sub}, ${e}, ${p}, ${res}, deny`);
  }
  for (const a of s.assignments) lines.push(`g, ${a.userId}, ${a.roleId}`);
  return lines.join("\n");
}
