import type { CommandCategory, InfraPermission, OperationType } from "@espada/infra-core";
import { INFRA_PERMISSIONS } from "@espada/infra-core";

const DELETE = new Set([
  "delete",
  "destroy",
  "remove",
  "deprovision",
  "terminate",
  "drop",
  "purge",
  "decommission",
  "teardown",
  "rm",
]);
const CREATE = new Set([
  "create",
  "provision",
  "add",
  "launch",
  "deploy",
  "new",
  "clone",
  "register",
  "spawn",
  "install",
]);
const SCALE = new Set(["scale", "resize", "autoscale", "grow", "shrink"]);
const MIGRATE = new Set(["migrate", "move", "transfer", "relocate", "replicate"]);
const BACKUP = new Set(["backup", "snapshot", "export", "archive"]);
const RESTORE = new Set(["restore", "recover", "rollback", "revert", "import"]);
const NETWORK = new Set([
  "network",
  "firewall",
  "route",
  "routes",
  "dns",
  "vpc",
  "subnet",
  "peering",
  "ingress",
  "egress",
  "loadbalancer",
  "lb",
]);
const ACCESS = new Set([
  "grant",
  "revoke",
  "access",
  "iam",
  "permission",
  "permissions",
  "role",
  "roles",
  "policy",
  "user",
  "users",
]);
const READ = new Set([
  "list",
  "get",
  "describe",
  "show",
  "status",
  "check",
  "validate",
  "read",
  "inspect",
  "watch",
  "estimate",
  "cost",
  "costs",
  "metrics",
  "logs",
  "health",
  "find",
  "search",
  "view",
]);
const AUDIT = new Set(["audit"]);

/** Splits a command id such as `deleteDbCluster` or `scale-asg` into lower-case words. */
function words(commandId: string): string[] {
  return commandId
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
}

const has = (ws: readonly string[], set: ReadonlySet<string>): boolean => ws.some((w) => set.has(w));

/**
 * The permission an operation needs, from its declared permission when it has one, else from its
 * command category and the verbs of its command id:
 * - `monitor` and `cost` → `infra:read`; `security` → `infra:security`;
 * - `provision` → `infra:delete` for a delete verb (delete, destroy, remove, deprovision, terminate,
 *   drop, purge…), else `infra:create`;
 * - `manage` → delete, scale, migrate, backup, restore, network or access by verb, else `infra:update`;
 * - `utility` → by the same verbs; a read verb (list, get, describe, status…) or none → `infra:read`.
 * The first word decides when it is a known verb (`list-backups` reads, `backup-db` backs up).
 */
export function permissionFor(
  category: CommandCategory,
  commandId: string,
  declared?: InfraPermission,
): InfraPermission {
  if (declared !== undefined) return declared;
  if (category === "monitor" || category === "cost") return "infra:read";
  if (category === "security") return "infra:security";
  let byCommand = derived.get(category);
  if (byCommand === undefined) {
    if (derived.size >= 8) derived.clear(); // only the six categories land here in practice
    derived.set(category, (byCommand = new Map<string, InfraPermission>()));
  }
  let permission = byCommand.get(commandId);
  if (permission === undefined) {
    permission = derive(category, commandId);
    if (byCommand.size >= MAX_DERIVED) byCommand.clear();
    byCommand.set(commandId, permission);
  }
  return permission;
}

/** Derived permissions per category and command id (a pure function of both, so never stale). */
const derived = new Map<string, Map<string, InfraPermission>>();
const MAX_DERIVED = 4096;

function derive(category: CommandCategory, commandId: string): InfraPermission {
  const ws = words(commandId);
  const first = ws.slice(0, 1);
  const byVerb = (list: readonly string[]): InfraPermission | undefined => {
    if (has(list, DELETE)) return "infra:delete";
    if (has(list, READ)) return "infra:read";
    if (has(list, AUDIT)) return "infra:audit";
    if (has(list, SCALE)) return "infra:scale";
    if (has(list, MIGRATE)) return "infra:migrate";
    if (has(list, RESTORE)) return "infra:restore";
    if (has(list, BACKUP)) return "infra:backup";
    if (has(list, ACCESS)) return "infra:access";
    if (has(list, NETWORK)) return "infra:network";
    if (has(list, CREATE)) return "infra:create";
    return undefined;
  };
  const verb = byVerb(first) ?? byVerb(ws);
  if (category === "provision") return verb === "infra:delete" ? "infra:delete" : "infra:create";
  if (category === "utility") return verb ?? "infra:read";
  // manage
  if (verb === undefined || verb === "infra:read" || verb === "infra:create") return verb ?? "infra:update";
  return verb;
}

/** The risk scorer's operation type of a permission (`infra:delete` → `delete`). */
export function operationTypeOf(permission: InfraPermission): OperationType {
  return OPERATION_TYPES.get(permission) ?? (permission.slice("infra:".length) as OperationType);
}

/** The operation type of each permission, as constant strings (no slice per check). */
const OPERATION_TYPES: ReadonlyMap<string, OperationType> = new Map(
  INFRA_PERMISSIONS.map((p) => [p, p.slice("infra:".length) as OperationType]),
);
