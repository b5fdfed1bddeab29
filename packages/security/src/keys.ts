import type { JsonValue } from "@espada/infra-core";
import { hash } from "node:crypto";

const SAFE_PART = /^[A-Za-z0-9._@:+-]{1,64}$/;

/**
 * A store-key segment for an arbitrary id (user, resource, environment): the id itself when it is
 * short and made of safe characters, otherwise `h-` + the first 32 hex digits of its SHA-256 (so a
 * `/` in an id cannot change a key's prefix and long ids stay within the stores' key length limit).
 */
export function keyPart(id: string): string {
  let part = parts.get(id);
  if (part === undefined) {
    part = SAFE_PART.test(id) && !id.startsWith("h-") ? id : `h-${hash("sha256", id).slice(0, 32)}`;
    if (parts.size >= 10_000) parts.clear();
    parts.set(id, part);
  }
  return part;
}

/** keyPart is pure: a bounded memo spares the pattern test and the hash on hot paths. */
const parts = new Map<string, string>();

/** Key prefixes of every record the security package keeps in the state store. */
export const KEYS = {
  assignments: "security/rbac/assignments/",
  rate: "security/rbac/rate/",
  rateCounts: "security/rbac/rate-counts",
  userHistory: "security/activity/user/",
  resourceChanges: "security/activity/resource/",
  approvals: "security/approvals/",
  approvalLog: "security/approval-requests",
  breakGlassActive: "security/break-glass/active/",
  breakGlassSession: "security/break-glass/sessions/",
  breakGlassCooldown: "security/break-glass/cooldown/",
  rollbackPlans: "security/rollback/plans/",
  rollbackByOperation: "security/rollback/by-operation/",
  windowOverrides: "security/windows/overrides/",
  auditLog: "security/audit",
  auditAnchor: "security/audit-anchor",
  auditKey: "security/audit-key",
  stateVersion: "security/state-version",
} as const;

/** A plain-data value (parsed by a zod schema or built from one) typed as the store's JSON. */
export function asJson(value: unknown): JsonValue {
  return value as JsonValue;
}
