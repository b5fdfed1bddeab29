import { RESOURCE_TYPES, isRecord } from "@espada/infra-core";
import type {
  CommandDefinition,
  CommandSuccess,
  InfrastructureProvider,
  ResourceType,
} from "@espada/infra-core";

/** The kinds of change a command makes to a resource. */
export const RESOURCE_CHANGE_KINDS = ["created", "updated", "deleted"] as const;
/** A kind of resource change. */
export type ResourceChangeKind = (typeof RESOURCE_CHANGE_KINDS)[number];

/** One resource a command changed, and how. */
export interface ResourceChange {
  readonly id: string;
  readonly change: ResourceChangeKind;
  readonly type?: ResourceType;
}

const DELETE_VERB = /^(?:delete|destroy|remove|deprovision|terminate|drop|purge)(?:[-_.:]|$)/i;
const CREATE_VERB = /^(?:create|provision|add|launch|deploy|new|clone|register)(?:[-_.:]|$)/i;

function asResourceType(value: unknown): ResourceType | undefined {
  return typeof value === "string" && (RESOURCE_TYPES as readonly string[]).includes(value)
    ? (value as ResourceType)
    : undefined;
}

/**
 * Decides which resources a successful command changed and how.
 *
 * 1. Explicit: `result.data.resourceChanges` — an array of `{ id, change: "created"|"updated"|"deleted", type? }`.
 * 2. Otherwise inferred for each id of `result.affectedResources`: none for the read-only categories
 *    (`monitor`, `cost`); `deleted` when the command id starts with a delete verb (delete, destroy,
 *    remove, deprovision, terminate, drop, purge); `created` when it starts with a create verb
 *    (create, provision, add, launch, deploy, new, clone, register); else `updated`.
 * The resource type comes from the explicit entry, else the provider's `getResources()`, else the
 * command's single declared resource type.
 */
export function resourceChangesOf(
  command: CommandDefinition,
  provider: InfrastructureProvider,
  result: CommandSuccess,
): ResourceChange[] {
  const typeOf = resourceTypeLookup(command, provider);
  const explicit = isRecord(result.data) ? result.data.resourceChanges : undefined;
  if (Array.isArray(explicit)) {
    const out: ResourceChange[] = [];
    for (const entry of explicit as unknown[]) {
      if (!isRecord(entry) || typeof entry.id !== "string") continue;
      const change = (RESOURCE_CHANGE_KINDS as readonly unknown[]).includes(entry.change)
        ? (entry.change as ResourceChangeKind)
        : "updated";
      const type = asResourceType(entry.type) ?? typeOf(entry.id);
      out.push({ id: entry.id, change, ...(type === undefined ? {} : { type }) });
    }
    return out;
  }
  if (result.affectedResources.length === 0 || command.category === "monitor" || command.category === "cost")
    return [];
  const change: ResourceChangeKind = DELETE_VERB.test(command.id)
    ? "deleted"
    : CREATE_VERB.test(command.id)
      ? "created"
      : "updated";
  return result.affectedResources.map((id) => {
    const type = typeOf(id);
    return { id, change, ...(type === undefined ? {} : { type }) };
  });
}

function resourceTypeLookup(
  command: CommandDefinition,
  provider: InfrastructureProvider,
): (id: string) => ResourceType | undefined {
  let known: ReadonlyMap<string, ResourceType> | undefined;
  const fallback = command.resourceTypes.length === 1 ? command.resourceTypes[0] : undefined;
  return (id) => {
    if (known === undefined) {
      try {
        known = new Map(provider.getResources().map((r) => [r.id, r.type]));
      } catch {
        known = new Map();
      }
    }
    return known.get(id) ?? fallback;
  };
}
