import { z } from "zod";
import type {
  AuditSink,
  DenyRule,
  GateReason,
  InfraPermission,
  Role,
  RoleAssignment,
  StateStore,
} from "@espada/infra-core";
import {
  INFRA_PERMISSIONS,
  InfrastructureError,
  infraPermissionSchema,
  roleAssignmentSchema,
} from "@espada/infra-core";
import { compileGlob } from "./glob.js";
import type { IdMatcher } from "./glob.js";
import { asJson, KEYS, keyPart } from "./keys.js";
import { compileSchedule, isScheduleOpen } from "./time.js";
import type { CompiledSchedule } from "./time.js";

/** One access question: may this user use this permission in this environment? */
export interface AccessQuery {
  readonly userId: string;
  readonly permission: InfraPermission;
  readonly environment: string;
  /** Resource ids the operation targets (deny rules may name resource patterns). */
  readonly resourceIds?: readonly string[] | undefined;
  /** Estimated cost of the operation; checked against the role's `maxCost` when given. */
  readonly estimatedCost?: number | undefined;
  /** Epoch ms of the question (role schedules and assignment expiry); defaults to the manager's clock. */
  readonly at?: number | undefined;
}

/** The answer, naming the role or rule that decided. */
export type AccessDecision =
  | {
      readonly allowed: true;
      readonly permission: InfraPermission;
      readonly decidedBy: { readonly kind: "role"; readonly id: string };
      readonly reason: string;
    }
  | {
      readonly allowed: false;
      readonly permission: InfraPermission;
      readonly decidedBy: { readonly kind: "deny-rule" | "role" | "default-deny"; readonly id?: string };
      readonly reason: string;
    };

/** A role assignment as kept: configuration ones and runtime ones (stored) alike. */
export interface StoredAssignment {
  readonly userId: string;
  readonly roleId: string;
  readonly environments?: readonly string[] | undefined;
  /** Epoch ms after which it no longer applies. */
  readonly expiresAt?: number | undefined;
  readonly grantedBy?: string | undefined;
  readonly grantedAt?: number | undefined;
  /** `config` for assignments from the policies, `runtime` for `assignRole`. */
  readonly source: "config" | "runtime";
}

const storedAssignmentsSchema = z.array(
  z.object({
    userId: z.string(),
    roleId: z.string(),
    environments: z.array(z.string()).optional(),
    expiresAt: z.number().optional(),
    grantedBy: z.string().optional(),
    grantedAt: z.number().optional(),
  }),
);

interface CompiledRole {
  readonly id: string;
  readonly permissions: ReadonlySet<InfraPermission>;
  readonly environments: ReadonlySet<string> | undefined;
  readonly schedule: CompiledSchedule | undefined;
  readonly maxCost: number | undefined;
  readonly role: Role;
}

interface CompiledAssignment {
  readonly role: CompiledRole;
  readonly environments: ReadonlySet<string> | undefined;
  readonly expiresAt: number;
  readonly assignment: StoredAssignment;
}

interface CompiledDenyRule {
  readonly id: string;
  readonly users: ReadonlySet<string> | undefined;
  readonly roles: ReadonlySet<string> | undefined;
  readonly permissions: ReadonlySet<string>;
  readonly environments: ReadonlySet<string> | undefined;
  readonly resources: readonly IdMatcher[] | undefined;
}

/** Policies the RBAC manager enforces. */
export interface RbacPolicies {
  readonly roles: readonly Role[];
  readonly assignments: readonly RoleAssignment[];
  readonly denyRules: readonly DenyRule[];
}

/** Options of {@link InfrastructureRBACManager}. */
export interface RbacOptions {
  /** Where runtime role assignments are kept. */
  readonly store: StateStore;
  /** Receives `role_assigned` / `role_revoked`. */
  readonly audit?: AuditSink;
  readonly now?: () => number;
}

/** The result of `assignRole` / `revokeRole`: done, or refused with a reason. */
export type RoleChangeResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: "SECURITY_DENIED" | "NOT_FOUND" | "INVALID_ARGUMENT";
      readonly reason: string;
    };

const byId = <T extends { readonly id: string }>(a: T, b: T): number =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * Role-based access control with the spec's 15 permissions. Roles are scoped per environment and may
 * carry a weekly schedule, a cost limit and a rate limit (the facade counts the rate). Decisions are
 * default deny; an explicit deny rule beats any allow; roles and rules are evaluated in id order, so
 * the order they are listed in never changes a decision. Every decision names the role or rule that
 * decided. Runtime assignments live in the state store; `check` answers from memory.
 */
export class InfrastructureRBACManager {
  private readonly store: StateStore;
  private readonly audit: AuditSink | undefined;
  private readonly now: () => number;
  private roles = new Map<string, CompiledRole>();
  private denyRules: CompiledDenyRule[] = [];
  private configAssignments: StoredAssignment[] = [];
  private runtimeAssignments = new Map<string, StoredAssignment[]>();
  private byUser = new Map<string, CompiledAssignment[]>();
  /** Decisions remembered per user by {@link decide}; replaced (so emptied) whenever roles, rules or assignments change. */
  private memo = new Map<string, UserMemo>();
  /** Decisions in {@link memo} (all are dropped past {@link MAX_MEMO}). */
  private memoSize = 0;
  /** Small indices of the environments questions named, for the slots of remembered answers (reset with them). */
  private environments = new Map<string, number>();

  constructor(policies: RbacPolicies, options: RbacOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.setPolicies(policies);
  }

  /** Loads the runtime assignments kept in the store (call once before use, and after another process changed them). */
  async load(): Promise<void> {
    const records = await this.store.list(KEYS.assignments);
    const next = new Map<string, StoredAssignment[]>();
    for (const record of records) {
      const parsed = storedAssignmentsSchema.safeParse(record.value);
      if (!parsed.success)
        throw new InfrastructureError(
          "STORAGE_CORRUPT",
          `role assignments record "${record.key}" is malformed`,
          { field: record.key },
        );
      const list = parsed.data.map((a): StoredAssignment =>
        stripUndefined({ ...a, source: "runtime" as const }),
      );
      const user = list[0]?.userId;
      if (user !== undefined) next.set(user, list);
    }
    this.runtimeAssignments = next;
    this.reindex();
  }

  /** Replaces roles, configuration assignments and deny rules (a configuration reload). */
  setPolicies(policies: RbacPolicies): void {
    const roles = new Map<string, CompiledRole>();
    for (const role of [...policies.roles].sort(byId)) {
      roles.set(role.id, {
        id: role.id,
        permissions: new Set(role.permissions),
        environments: role.environments === undefined ? undefined : new Set(role.environments),
        schedule: role.schedule === undefined ? undefined : compileSchedule(role.schedule),
        maxCost: role.maxCost,
        role,
      });
    }
    this.roles = roles;
    this.denyRules = [...policies.denyRules].sort(byId).map((rule) => ({
      id: rule.id,
      users: rule.users === undefined ? undefined : new Set(rule.users),
      roles: rule.roles === undefined ? undefined : new Set(rule.roles),
      permissions: new Set(rule.permissions),
      environments: rule.environments === undefined ? undefined : new Set(rule.environments),
      resources: rule.resources?.map(compileGlob),
    }));
    this.configAssignments = policies.assignments.map((a) =>
      stripUndefined({
        userId: a.userId,
        roleId: a.roleId,
        environments: a.environments,
        expiresAt: a.expiresAt === undefined ? undefined : Date.parse(a.expiresAt),
        source: "config" as const,
      }),
    );
    this.reindex();
  }

  private reindex(): void {
    const byUser = new Map<string, CompiledAssignment[]>();
    const add = (a: StoredAssignment): void => {
      const role = this.roles.get(a.roleId);
      if (role === undefined) return; // a stored assignment of a role removed from the policies grants nothing
      const list = byUser.get(a.userId) ?? [];
      list.push({
        role,
        environments: a.environments === undefined ? undefined : new Set(a.environments),
        expiresAt: a.expiresAt ?? Number.POSITIVE_INFINITY,
        assignment: a,
      });
      byUser.set(a.userId, list);
    };
    for (const a of this.configAssignments) add(a);
    for (const list of this.runtimeAssignments.values()) for (const a of list) add(a);
    for (const list of byUser.values()) {
      list.sort((x, y) =>
        x.role.id < y.role.id ? -1 : x.role.id > y.role.id ? 1 : envKey(x).localeCompare(envKey(y)),
      );
    }
    this.byUser = byUser;
    this.forget();
  }

  /** The role ids of a user's assignments in force at `at` in `environment`. */
  activeRoles(userId: string, environment: string, at: number = this.now()): string[] {
    const out: string[] = [];
    for (const a of this.byUser.get(userId) ?? []) {
      if (a.expiresAt > at && inScope(a, environment) && !out.includes(a.role.id)) out.push(a.role.id);
    }
    return out;
  }

  /** Every assignment of a user (configuration and runtime), expired ones included. */
  assignmentsOf(userId: string): StoredAssignment[] {
    return (this.byUser.get(userId) ?? []).map((a) => a.assignment);
  }

  /** Decides an access question. Synchronous: it reads only memory. */
  check(query: AccessQuery): AccessDecision {
    const at = query.at ?? this.now();
    const { userId, permission, environment } = query;
    const assignments = this.byUser.get(userId);
    for (const rule of this.denyRules) {
      if (this.denyMatches(rule, assignments, query, at)) {
        return {
          allowed: false,
          permission,
          decidedBy: { kind: "deny-rule", id: rule.id },
          reason: `denied by rule "${rule.id}"`,
        };
      }
    }
    let refusal: { id: string; reason: string } | undefined;
    if (assignments !== undefined) {
      for (const a of assignments) {
        const role = a.role;
        if (a.expiresAt <= at || !role.permissions.has(permission) || !inScope(a, environment)) continue;
        if (role.schedule !== undefined && !isScheduleOpen(role.schedule, at)) {
          refusal ??= {
            id: role.id,
            reason: `role "${role.id}" grants ${permission} only ${role.schedule.label}`,
          };
          continue;
        }
        if (
          role.maxCost !== undefined &&
          query.estimatedCost !== undefined &&
          query.estimatedCost > role.maxCost
        ) {
          refusal ??= {
            id: role.id,
            reason: `estimated cost ${query.estimatedCost} exceeds role "${role.id}" limit ${role.maxCost}`,
          };
          continue;
        }
        return {
          allowed: true,
          permission,
          decidedBy: { kind: "role", id: role.id },
          reason: `role "${role.id}" grants ${permission} in ${environment}`,
        };
      }
    }
    if (refusal !== undefined)
      return {
        allowed: false,
        permission,
        decidedBy: { kind: "role", id: refusal.id },
        reason: refusal.reason,
      };
    return {
      allowed: false,
      permission,
      decidedBy: { kind: "default-deny" },
      reason: `no role of "${userId}" grants ${permission} in ${environment}`,
    };
  }

  /**
   * {@link check}, remembering its answer per user, environment, permission (and resource list when
   * a deny rule names resource patterns) while the roles, rules and assignments stay the same: every
   * change of them (a policy reload, `assignRole`, `revokeRole`, `load`) forgets every answer. An
   * answer is reused only while the user's assignments in force are the ones it was made with (no
   * expiry passed either way) and, for a user holding a scheduled role, within the same UTC minute (a
   * schedule's state changes only on a minute boundary); cost questions of users holding a
   * cost-limited role are always decided afresh. The answer equals `check`'s (a property test holds
   * them equal) and is frozen.
   */
  decide(query: AccessQuery): AccessDecision {
    return this.answer(query).decision;
  }

  /**
   * {@link decide}'s answer with its reason as the security gate's `rbac` reason (`passed` is
   * `allowed`, `message` the decision's reason). Remembered answers and their reasons are frozen and
   * handed out again for the same question, so a caller can share what it derives from them.
   */
  answer(query: AccessQuery): RbacAnswer {
    const at = query.at ?? this.now();
    let user = this.memo.get(query.userId);
    if (user === undefined || at < user.validFrom || at >= user.validUntil) {
      user = this.userMemo(query.userId, at);
      if (this.memo.size >= MAX_MEMO) this.forget();
      this.memo.set(query.userId, user);
    }
    const permissionIndex = PERMISSION_INDEX.get(query.permission);
    const environmentIndex = this.environmentIndex(query.environment);
    if (
      (user.costLimited && query.estimatedCost !== undefined) ||
      permissionIndex === undefined ||
      environmentIndex === undefined
    )
      return answerOf(this.check(query.at === undefined ? { ...query, at } : query));
    const slot = environmentIndex * PERMISSION_SLOTS + permissionIndex;
    const known = user.answers[slot];
    if (known !== undefined) return known;
    let byResources = user.byResources[slot];
    if (byResources === undefined) {
      if (!this.resourceSensitive(query, at)) {
        const remembered = this.remember(query, at);
        user.answers[slot] = remembered;
        return remembered;
      }
      byResources = { one: new Map(), many: new Map() };
      user.byResources[slot] = byResources;
    }
    // one id (the usual case) is its own key; other lists their JSON text, in a map of their own
    const ids = query.resourceIds ?? NO_IDS;
    const single = ids.length === 1;
    const map = single ? byResources.one : byResources.many;
    const key = single ? (ids[0] as string) : JSON.stringify(ids);
    let remembered = map.get(key);
    if (remembered === undefined) {
      remembered = this.remember(query, at);
      map.set(key, remembered);
    }
    return remembered;
  }

  /** The small index of an environment in remembered answers (undefined past {@link MAX_ENVIRONMENTS}: decided afresh). */
  private environmentIndex(environment: string): number | undefined {
    let index = this.environments.get(environment);
    if (index === undefined && this.environments.size < MAX_ENVIRONMENTS) {
      index = this.environments.size;
      this.environments.set(environment, index);
    }
    return index;
  }

  /**
   * True when a deny rule naming resource patterns matches the question in everything but its
   * resources (user or role, permission, environment): only then can the resources change the answer.
   * Stable while the user's assignments in force stay the same (the span a user's memo is valid for).
   */
  private resourceSensitive(query: AccessQuery, at: number): boolean {
    const assignments = this.byUser.get(query.userId);
    const rules = this.denyRules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as CompiledDenyRule;
      if (rule.resources !== undefined && this.denyMatchesBesidesResources(rule, assignments, query, at))
        return true;
    }
    return false;
  }

  /** Decides afresh and counts the answer kept. */
  private remember(query: AccessQuery, at: number): RbacAnswer {
    const decision = this.check(query.at === undefined ? { ...query, at } : query);
    Object.freeze(decision.decidedBy);
    Object.freeze(decision);
    this.memoSize += 1;
    if (this.memoSize > MAX_MEMO) this.forget();
    const answer = answerOf(decision);
    Object.freeze(answer.reason);
    return Object.freeze(answer);
  }

  private forget(): void {
    this.memo = new Map();
    this.memoSize = 0;
    this.environments = new Map();
  }

  /** What a user's remembered answers depend on, at `at`: the span in which no assignment of theirs expires (and, with a schedule, the minute), cost limits. */
  private userMemo(userId: string, at: number): UserMemo {
    let validFrom = Number.NEGATIVE_INFINITY;
    let validUntil = Number.POSITIVE_INFINITY;
    let costLimited = false;
    for (const a of this.byUser.get(userId) ?? NO_ASSIGNMENTS) {
      if (a.expiresAt <= at) validFrom = Math.max(validFrom, a.expiresAt);
      else validUntil = Math.min(validUntil, a.expiresAt);
      if (a.role.schedule !== undefined) {
        // a schedule's state only changes on a UTC minute boundary (see isScheduleOpen): answers hold for this minute
        const minute = Math.floor(at / 60_000) * 60_000;
        validFrom = Math.max(validFrom, minute);
        validUntil = Math.min(validUntil, minute + 60_000);
      }
      if (a.role.maxCost !== undefined) costLimited = true;
    }
    return { validFrom, validUntil, costLimited, answers: [], byResources: [] };
  }

  private denyMatches(
    rule: CompiledDenyRule,
    assignments: readonly CompiledAssignment[] | undefined,
    query: AccessQuery,
    at: number,
  ): boolean {
    if (!this.denyMatchesBesidesResources(rule, assignments, query, at)) return false;
    const resources = rule.resources;
    if (resources === undefined) return true;
    const ids = query.resourceIds ?? NO_IDS;
    for (let i = 0; i < ids.length; i++)
      for (let j = 0; j < resources.length; j++)
        if ((resources[j] as IdMatcher)(ids[i] as string)) return true;
    return false;
  }

  /** Whether a deny rule matches a question by permission, environment and user or role (resources aside). */
  private denyMatchesBesidesResources(
    rule: CompiledDenyRule,
    assignments: readonly CompiledAssignment[] | undefined,
    query: AccessQuery,
    at: number,
  ): boolean {
    if (!rule.permissions.has("*") && !rule.permissions.has(query.permission)) return false;
    if (rule.environments !== undefined && !rule.environments.has(query.environment)) return false;
    if (rule.users === undefined && rule.roles === undefined) return true;
    if (rule.users?.has(query.userId) === true) return true;
    const roles = rule.roles;
    if (roles === undefined || assignments === undefined) return false;
    for (let i = 0; i < assignments.length; i++) {
      const a = assignments[i] as CompiledAssignment;
      if (a.expiresAt > at && roles.has(a.role.id) && inScope(a, query.environment)) return true;
    }
    return false;
  }

  /** The role's rate limit, when it has one. */
  rateLimitOf(roleId: string): Role["rateLimit"] {
    return this.roles.get(roleId)?.role.rateLimit;
  }

  /** True when `userId` holds `permission` over the whole scope (every environment when `environments` is absent), ignoring schedules and costs. */
  holdsOverScope(
    userId: string,
    permission: InfraPermission,
    environments: readonly string[] | undefined,
    at: number = this.now(),
  ): boolean {
    if (environments !== undefined) {
      return environments.every((environment) => {
        const decision = this.check({ userId, permission, environment, at });
        return decision.allowed || decision.decidedBy.kind === "role";
      });
    }
    const unscoped = (this.byUser.get(userId) ?? []).some(
      (a) =>
        a.expiresAt > at &&
        a.role.permissions.has(permission) &&
        a.role.environments === undefined &&
        a.environments === undefined,
    );
    const denied = this.denyRules.some(
      (rule) =>
        (rule.permissions.has("*") || rule.permissions.has(permission)) &&
        (rule.users === undefined && rule.roles === undefined
          ? true
          : rule.users?.has(userId) === true ||
            (this.byUser.get(userId) ?? []).some(
              (a) => a.expiresAt > at && rule.roles?.has(a.role.id) === true,
            )),
    );
    return unscoped && !denied;
  }

  /**
   * Assigns a role at runtime. The grantor needs `infra:access` and every permission of the role over
   * the assignment's scope: nobody can grant more than they hold. Stored, audited as `role_assigned`.
   */
  async assignRole(
    grantorId: string,
    input: z.input<typeof roleAssignmentSchema>,
  ): Promise<RoleChangeResult> {
    const parsed = roleAssignmentSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        code: "INVALID_ARGUMENT",
        reason: `${issue?.path.join(".") ?? "assignment"}: ${issue?.message ?? "invalid"}`,
      };
    }
    const a = parsed.data;
    const role = this.roles.get(a.roleId);
    if (role === undefined)
      return { ok: false, code: "NOT_FOUND", reason: `role "${a.roleId}" does not exist` };
    const at = this.now();
    const scope = intersectScope(role.role.environments, a.environments);
    if (!this.holdsOverScope(grantorId, "infra:access", scope, at)) {
      return this.refuse(
        grantorId,
        a.userId,
        role.id,
        `"${grantorId}" lacks infra:access over ${scopeLabel(scope)}`,
      );
    }
    const missing = role.role.permissions.filter((p) => !this.holdsOverScope(grantorId, p, scope, at));
    if (missing.length > 0) {
      return this.refuse(
        grantorId,
        a.userId,
        role.id,
        `"${grantorId}" cannot grant role "${role.id}": lacks ${missing.join(", ")} over ${scopeLabel(scope)}`,
      );
    }
    const stored: StoredAssignment = stripUndefined({
      userId: a.userId,
      roleId: a.roleId,
      environments: a.environments,
      expiresAt: a.expiresAt === undefined ? undefined : Date.parse(a.expiresAt),
      grantedBy: grantorId,
      grantedAt: at,
      source: "runtime" as const,
    });
    await this.updateUser(a.userId, (list) => [
      ...list.filter((x) => !(x.roleId === a.roleId && sameEnvs(x.environments, a.environments))),
      stored,
    ]);
    await this.audit?.record({
      type: "role_assigned",
      actor: grantorId,
      details: { userId: a.userId, roleId: a.roleId, environments: a.environments ?? "all" },
    });
    return { ok: true };
  }

  /** Removes a runtime assignment of a role (all its scopes). The actor needs `infra:access`. Audited as `role_revoked`. */
  async revokeRole(actorId: string, userId: string, roleId: string): Promise<RoleChangeResult> {
    const role = this.roles.get(roleId);
    const scope = role?.role.environments;
    if (!this.holdsOverScope(actorId, "infra:access", scope)) {
      return this.refuse(
        actorId,
        userId,
        roleId,
        `"${actorId}" lacks infra:access over ${scopeLabel(scope)}`,
      );
    }
    const current = this.runtimeAssignments.get(userId) ?? [];
    if (!current.some((a) => a.roleId === roleId)) {
      return {
        ok: false,
        code: "NOT_FOUND",
        reason: `"${userId}" has no runtime assignment of role "${roleId}"`,
      };
    }
    await this.updateUser(userId, (list) => list.filter((a) => a.roleId !== roleId));
    await this.audit?.record({ type: "role_revoked", actor: actorId, details: { userId, roleId } });
    return { ok: true };
  }

  private async refuse(
    actor: string,
    userId: string,
    roleId: string,
    reason: string,
  ): Promise<RoleChangeResult> {
    await this.audit?.record({
      type: "permission_denied",
      actor,
      outcome: "denied",
      details: { action: "role-change", userId, roleId, reason },
    });
    return { ok: false, code: "SECURITY_DENIED", reason };
  }

  private async updateUser(
    userId: string,
    change: (list: readonly StoredAssignment[]) => StoredAssignment[],
  ): Promise<void> {
    const key = KEYS.assignments + keyPart(userId);
    for (let attempt = 0; attempt < 20; attempt++) {
      const record = await this.store.get(key);
      const current =
        record === undefined
          ? []
          : storedAssignmentsSchema
              .parse(record.value)
              .map((a) => stripUndefined({ ...a, source: "runtime" as const }));
      const next = change(current);
      const value = next.map(({ source: _source, ...rest }) => stripUndefined(rest));
      const result =
        next.length === 0 && record !== undefined
          ? (await this.store.delete(key), { ok: true as const })
          : await this.store.compareAndSet(key, record?.version ?? 0, asJson(value));
      if (result.ok) {
        if (next.length === 0) this.runtimeAssignments.delete(userId);
        else this.runtimeAssignments.set(userId, next);
        this.reindex();
        return;
      }
    }
    throw new InfrastructureError("CONFLICT", `role assignments of "${userId}" kept changing; try again`, {
      field: "userId",
    });
  }
}

/** An RBAC decision with its reason as the security gate's `rbac` reason (see {@link InfrastructureRBACManager.answer}). */
export interface RbacAnswer {
  readonly decision: AccessDecision;
  readonly reason: GateReason;
}

function answerOf(decision: AccessDecision): RbacAnswer {
  return { decision, reason: { check: "rbac", passed: decision.allowed, message: decision.reason } };
}

/** Parses a permission name, throwing a typed error naming `field`. */
export function parsePermission(value: unknown, field = "permission"): InfraPermission {
  const parsed = infraPermissionSchema.safeParse(value);
  if (!parsed.success)
    throw new InfrastructureError("INVALID_ARGUMENT", `${field}: not one of the 15 permissions`, { field });
  return parsed.data;
}

/** A user's remembered decisions (see {@link InfrastructureRBACManager.decide}). */
interface UserMemo {
  /**
   * The answers hold for questions asked at `validFrom <= at < validUntil`: no assignment expires in
   * between and, when a role of the user has a schedule, the same UTC minute.
   */
  readonly validFrom: number;
  readonly validUntil: number;
  /** A role of the user has a cost limit: answers to questions with a cost are not kept. */
  readonly costLimited: boolean;
  /**
   * Per slot (environment index × {@link PERMISSION_SLOTS} + permission index): the answer, when no
   * deny rule naming resource patterns could apply to that question.
   */
  readonly answers: (RbacAnswer | undefined)[];
  /** Per slot: the answers per resource list, when such a rule could apply. */
  readonly byResources: (ResourceAnswers | undefined)[];
}

/** Answers per resource list: one id keyed by itself, other lists by their JSON text. */
interface ResourceAnswers {
  readonly one: Map<string, RbacAnswer>;
  readonly many: Map<string, RbacAnswer>;
}

/** Slots per environment in a user's remembered answers (one per permission). */
const PERMISSION_SLOTS = 16;
const PERMISSION_INDEX: ReadonlyMap<string, number> = new Map(INFRA_PERMISSIONS.map((p, i) => [p, i]));
/** Environments given a slot range in remembered answers; questions about others are decided afresh. */
const MAX_ENVIRONMENTS = 64;

/** Remembered decisions kept at most (all are forgotten past it). */
const MAX_MEMO = 100_000;
const NO_IDS: readonly string[] = Object.freeze([]);
const NO_ASSIGNMENTS: readonly CompiledAssignment[] = Object.freeze([]);

function inScope(a: CompiledAssignment, environment: string): boolean {
  return (
    (a.role.environments === undefined || a.role.environments.has(environment)) &&
    (a.environments === undefined || a.environments.has(environment))
  );
}

function envKey(a: CompiledAssignment): string {
  return a.environments === undefined ? "" : [...a.environments].sort().join(",");
}

function intersectScope(
  role: readonly string[] | undefined,
  assignment: readonly string[] | undefined,
): readonly string[] | undefined {
  if (role === undefined) return assignment;
  if (assignment === undefined) return role;
  return role.filter((e) => assignment.includes(e));
}

function sameEnvs(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && [...a].sort().join("\0") === [...b].sort().join("\0");
}

function scopeLabel(scope: readonly string[] | undefined): string {
  return scope === undefined ? "every environment" : scope.join(", ");
}

/** Drops keys whose value is undefined (exactOptionalPropertyTypes, JSON storage). */
function stripUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}
