import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AuditSink, BreakGlassPolicy, StateStore } from "@espada/infra-core";
import { breakGlassPolicySchema, clampTimerDelay, InfrastructureError } from "@espada/infra-core";
import { asJson, KEYS, keyPart } from "./keys.js";
import type { InfrastructureRBACManager } from "./rbac.js";

/** A break-glass session. */
export interface BreakGlassSession {
  readonly id: string;
  readonly userId: string;
  readonly environment: string;
  readonly reasonCode: string;
  readonly justification: string;
  readonly ticket?: string | undefined;
  readonly activatedAt: number;
  readonly expiresAt: number;
}

const sessionSchema = z.object({
  id: z.string(),
  userId: z.string(),
  environment: z.string(),
  reasonCode: z.string(),
  justification: z.string(),
  ticket: z.string().optional(),
  activatedAt: z.number(),
  expiresAt: z.number(),
});
const activeSchema = z.object({ sessions: z.array(sessionSchema) });

/** What activating break-glass needs. */
export interface BreakGlassRequest {
  readonly userId: string;
  readonly environment: string;
  readonly reasonCode: string;
  readonly justification: string;
  readonly ticket?: string;
  /** Defaults to (and is capped at) the policy's `maxDurationMs`. */
  readonly durationMs?: number;
}

/** The result of an activation: the session, or why it was refused. */
export type BreakGlassResult =
  | { readonly ok: true; readonly session: BreakGlassSession }
  | {
      readonly ok: false;
      readonly code: "SECURITY_DENIED" | "INVALID_ARGUMENT" | "LIMIT_EXCEEDED" | "CONFLICT";
      readonly field?: string;
      readonly reason: string;
    };

/** Options of {@link InfrastructureBreakGlassManager}. */
export interface BreakGlassOptions {
  readonly store: StateStore;
  readonly rbac: InfrastructureRBACManager;
  readonly audit: AuditSink;
  readonly now?: () => number;
  /** Arm a timer that deactivates each session at its expiry (default true; expiry is checked on every use regardless). */
  readonly timers?: boolean;
}

type Active = z.infer<typeof sessionSchema>;
type Refusal = Extract<BreakGlassResult, { ok: false }>;

/**
 * Emergency access. Activation needs `infra:break-glass` in the environment (deny rules apply), an
 * enabled policy for it, a reason code the policy lists, a justification of the policy's minimum
 * length and a ticket when the policy says so; it is capped at the policy's maximum duration, refused
 * during the user's cooldown and beyond the policy's concurrent-session cap (enforced with
 * compare-and-set on the environment's active-session record). Every step is audited; sessions are
 * kept in the state store and expiry is checked on every use, not only by the timer.
 */
export class InfrastructureBreakGlassManager {
  private readonly store: StateStore;
  private readonly rbac: InfrastructureRBACManager;
  private readonly audit: AuditSink;
  private readonly now: () => number;
  private readonly timersEnabled: boolean;
  private policies = new Map<string, BreakGlassPolicy>();
  /** Active sessions by environment, as last read or written. */
  private readonly active = new Map<string, Active[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(policies: readonly BreakGlassPolicy[], options: BreakGlassOptions) {
    this.store = options.store;
    this.rbac = options.rbac;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.timersEnabled = options.timers ?? true;
    this.setPolicies(policies);
  }

  /** Replaces the policies (a configuration reload). */
  setPolicies(policies: readonly BreakGlassPolicy[]): void {
    this.policies = new Map(policies.map((p) => [p.environment, p]));
  }

  /** The policy of an environment (`*` when it has none of its own), or undefined when break-glass is not configured there. */
  policyFor(environment: string): BreakGlassPolicy | undefined {
    return this.policies.get(environment) ?? this.policies.get("*");
  }

  /** Loads active sessions from the store (expired ones are deactivated). */
  async load(): Promise<void> {
    const records = await this.store.list(KEYS.breakGlassActive);
    this.active.clear(); // a reload replaces what another instance may have changed
    for (const record of records) {
      const parsed = activeSchema.safeParse(record.value);
      if (!parsed.success) continue;
      const environment = parsed.data.sessions[0]?.environment;
      if (environment === undefined) continue;
      this.active.set(environment, parsed.data.sessions);
      for (const session of parsed.data.sessions) this.arm(session);
    }
    for (const environment of [...this.active.keys()]) await this.expireDue(environment);
  }

  /** Activates a break-glass session. */
  async activate(request: BreakGlassRequest): Promise<BreakGlassResult> {
    const invalid = this.validate(request);
    if (invalid !== undefined) return this.refuse(request, invalid);
    const policy = this.policyFor(request.environment);
    if (policy === undefined || !policy.enabled) {
      return this.refuse(request, {
        ok: false,
        code: "SECURITY_DENIED",
        reason: `break-glass is not enabled in ${request.environment}`,
      });
    }
    const permission = this.rbac.check({
      userId: request.userId,
      permission: "infra:break-glass",
      environment: request.environment,
    });
    if (!permission.allowed)
      return this.refuse(request, { ok: false, code: "SECURITY_DENIED", reason: permission.reason });
    if (!policy.reasonCodes.includes(request.reasonCode)) {
      return this.refuse(request, {
        ok: false,
        code: "INVALID_ARGUMENT",
        field: "reasonCode",
        reason: `reason code must be one of ${policy.reasonCodes.join(", ")}`,
      });
    }
    if (request.justification.trim().length < policy.minJustificationLength) {
      return this.refuse(request, {
        ok: false,
        code: "INVALID_ARGUMENT",
        field: "justification",
        reason: `justification must be at least ${policy.minJustificationLength} characters`,
      });
    }
    if (policy.requireTicket && (request.ticket === undefined || request.ticket.trim() === "")) {
      return this.refuse(request, {
        ok: false,
        code: "INVALID_ARGUMENT",
        field: "ticket",
        reason: `a ticket is required in ${request.environment}`,
      });
    }
    if (
      request.ticket !== undefined &&
      policy.ticketPattern !== undefined &&
      !new RegExp(policy.ticketPattern).test(request.ticket)
    ) {
      return this.refuse(request, {
        ok: false,
        code: "INVALID_ARGUMENT",
        field: "ticket",
        reason: `ticket does not match ${policy.ticketPattern}`,
      });
    }
    const durationMs = Math.min(request.durationMs ?? policy.maxDurationMs, policy.maxDurationMs);
    const cooldown = await this.store.get(this.cooldownKey(request.environment, request.userId));
    if (cooldown !== undefined) {
      return this.refuse(request, {
        ok: false,
        code: "LIMIT_EXCEEDED",
        reason: `cooldown: "${request.userId}" may break glass in ${request.environment} again at ${new Date(cooldown.expiresAt ?? 0).toISOString()}`,
      });
    }
    const at = this.now();
    const session: Active = {
      id: randomUUID(),
      userId: request.userId,
      environment: request.environment,
      reasonCode: request.reasonCode,
      justification: request.justification,
      ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
      activatedAt: at,
      expiresAt: at + durationMs,
    };
    const key = KEYS.breakGlassActive + keyPart(request.environment);
    const expired: Active[] = [];
    for (let attempt = 0; ; attempt++) {
      if (attempt >= 20)
        return this.refuse(request, {
          ok: false,
          code: "CONFLICT",
          reason: "break-glass sessions kept changing; try again",
        });
      const record = await this.store.get(key);
      const current = record === undefined ? [] : (activeSchema.safeParse(record.value).data?.sessions ?? []);
      const live = current.filter((s) => s.expiresAt > at);
      if (live.some((s) => s.userId === request.userId)) {
        return this.refuse(request, {
          ok: false,
          code: "CONFLICT",
          reason: `"${request.userId}" already has an active break-glass session in ${request.environment}`,
        });
      }
      if (live.length >= policy.maxConcurrent) {
        return this.refuse(request, {
          ok: false,
          code: "LIMIT_EXCEEDED",
          reason: `${live.length} break-glass session(s) already active in ${request.environment} (at most ${policy.maxConcurrent})`,
        });
      }
      // Audited before it takes effect: if the audit cannot be written, nothing is activated.
      if (attempt === 0) {
        await this.audit.record({
          type: "break_glass_activated",
          actor: request.userId,
          environment: request.environment,
          outcome: "success",
          details: {
            sessionId: session.id,
            reasonCode: request.reasonCode,
            justification: request.justification,
            ticket: request.ticket,
            expiresAt: session.expiresAt,
          },
        });
      }
      const result = await this.store.compareAndSet(
        key,
        record?.version ?? 0,
        asJson({ sessions: [...live, session] }),
      );
      if (result.ok) {
        expired.push(...current.filter((s) => s.expiresAt <= at));
        this.active.set(request.environment, [...live, session]);
        break;
      }
    }
    await this.store.put(KEYS.breakGlassSession + session.id, asJson({ ...session, status: "active" }), {
      ttlMs: durationMs + 30 * 86_400_000,
    });
    for (const s of expired) await this.finish(s, "expired", s.userId);
    this.arm(session);
    return { ok: true, session };
  }

  private validate(request: BreakGlassRequest): Refusal | undefined {
    const fields: [keyof BreakGlassRequest, unknown][] = [
      ["userId", request.userId],
      ["environment", request.environment],
      ["reasonCode", request.reasonCode],
      ["justification", request.justification],
    ];
    for (const [field, value] of fields) {
      if (typeof value !== "string" || value === "")
        return { ok: false, code: "INVALID_ARGUMENT", field, reason: `${field}: must be a non-empty string` };
    }
    if (request.ticket !== undefined && typeof request.ticket !== "string")
      return { ok: false, code: "INVALID_ARGUMENT", field: "ticket", reason: "ticket: must be a string" };
    if (
      request.durationMs !== undefined &&
      (!Number.isInteger(request.durationMs) || request.durationMs <= 0)
    ) {
      return {
        ok: false,
        code: "INVALID_ARGUMENT",
        field: "durationMs",
        reason: "durationMs: must be a positive integer",
      };
    }
    return undefined;
  }

  private async refuse(request: BreakGlassRequest, result: Refusal): Promise<BreakGlassResult> {
    await this.audit.record({
      type: "access_denied",
      actor: typeof request.userId === "string" && request.userId !== "" ? request.userId : "unknown",
      ...(typeof request.environment === "string" && request.environment !== ""
        ? { environment: request.environment }
        : {}),
      outcome: "denied",
      details: { action: "break-glass-activate", code: result.code, reason: result.reason },
    });
    return result;
  }

  /**
   * The user's active session in the environment, if any. Checks expiry on every call: a session past
   * its expiry is deactivated (audited) and not returned. Answers from memory when nothing expired.
   */
  async activeSession(userId: string, environment: string): Promise<BreakGlassSession | undefined> {
    const list = this.active.get(environment);
    if (list === undefined || list.length === 0) return undefined;
    const at = this.now();
    const mine = list.find((s) => s.userId === userId);
    if (mine !== undefined && mine.expiresAt > at) return mine;
    if (list.some((s) => s.expiresAt <= at)) await this.expireDue(environment);
    return undefined;
  }

  /**
   * The synchronous part of {@link activeSession}: the user's live session, `undefined` when there
   * is none, or `"check"` when an expired session must be deactivated first (call `activeSession`).
   */
  peekSession(
    userId: string,
    environment: string,
    at: number = this.now(),
  ): BreakGlassSession | "check" | undefined {
    const list = this.active.get(environment);
    if (list === undefined || list.length === 0) return undefined;
    let expired = false;
    for (const s of list) {
      if (s.expiresAt <= at) expired = true;
      else if (s.userId === userId) return s;
    }
    return expired ? "check" : undefined;
  }

  /** Every active session of an environment (expired ones are deactivated first). */
  async activeSessions(environment: string): Promise<BreakGlassSession[]> {
    await this.expireDue(environment);
    return [...(this.active.get(environment) ?? [])];
  }

  /** Ends a session early (its owner or an `infra:admin`). */
  async deactivate(sessionId: string, actorId: string): Promise<boolean> {
    for (const [environment, list] of this.active) {
      const session = list.find((s) => s.id === sessionId);
      if (session === undefined) continue;
      if (
        session.userId !== actorId &&
        !this.rbac.check({ userId: actorId, permission: "infra:admin", environment }).allowed
      ) {
        throw new InfrastructureError(
          "SECURITY_DENIED",
          `"${actorId}" may not end break-glass session ${sessionId}`,
          { field: "actorId" },
        );
      }
      const removed = await this.remove(environment, (s) => s.id === sessionId);
      for (const s of removed) await this.finish(s, "deactivated", actorId);
      return removed.length > 0;
    }
    return false;
  }

  private async expireDue(environment: string): Promise<void> {
    const at = this.now();
    const removed = await this.remove(environment, (s) => s.expiresAt <= at);
    for (const s of removed) await this.finish(s, "expired", s.userId);
  }

  /** Removes matching sessions from the environment's record with compare-and-set; returns those this call removed. */
  private async remove(environment: string, match: (s: Active) => boolean): Promise<Active[]> {
    const key = KEYS.breakGlassActive + keyPart(environment);
    for (let attempt = 0; attempt < 20; attempt++) {
      const record = await this.store.get(key);
      const current = record === undefined ? [] : (activeSchema.safeParse(record.value).data?.sessions ?? []);
      const removed = current.filter(match);
      const kept = current.filter((s) => !match(s));
      if (removed.length === 0) {
        this.active.set(environment, kept);
        return [];
      }
      const result = await this.store.compareAndSet(key, record?.version ?? 0, asJson({ sessions: kept }));
      if (result.ok) {
        this.active.set(environment, kept);
        return removed;
      }
    }
    throw new InfrastructureError("CONFLICT", `break-glass sessions of ${environment} kept changing`, {
      field: "environment",
    });
  }

  private async finish(session: Active, why: "expired" | "deactivated", actor: string): Promise<void> {
    const timer = this.timers.get(session.id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(session.id);
    const policy =
      this.policyFor(session.environment) ??
      breakGlassPolicySchema.parse({ environment: session.environment });
    const at = this.now();
    if (policy.cooldownMs > 0)
      await this.store.put(
        this.cooldownKey(session.environment, session.userId),
        { sessionId: session.id },
        { ttlMs: policy.cooldownMs },
      );
    await this.store.put(
      KEYS.breakGlassSession + session.id,
      asJson({ ...session, status: why, endedAt: at, endedBy: actor }),
      { ttlMs: 30 * 86_400_000 },
    );
    await this.audit.record({
      type: "break_glass_deactivated",
      actor,
      environment: session.environment,
      outcome: "success",
      details: {
        sessionId: session.id,
        userId: session.userId,
        reason: why,
        durationMs: Math.min(at, session.expiresAt) - session.activatedAt,
      },
    });
  }

  private cooldownKey(environment: string, userId: string): string {
    return `${KEYS.breakGlassCooldown}${keyPart(environment)}/${keyPart(userId)}`;
  }

  private arm(session: Active): void {
    if (!this.timersEnabled || this.timers.has(session.id)) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(session.id);
        this.expireDue(session.environment).catch(() => undefined);
      },
      clampTimerDelay(Math.max(0, session.expiresAt - this.now())),
    );
    timer.unref();
    this.timers.set(session.id, timer);
  }

  /** Clears every timer. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
