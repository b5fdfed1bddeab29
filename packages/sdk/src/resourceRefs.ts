import { isRecord } from "@espada/infra-core/authoring";
import type { CommandDefinition, CommandParameter } from "@espada/infra-core";

/** The id a validated resource reference names: the string itself, or the `id` of `{ id, type? }`. */
function refId(value: unknown): unknown {
  return isRecord(value) && typeof value.id === "string" ? value.id : value;
}

function isRefParameter(p: CommandParameter): boolean {
  return p.type === "resource-ref" || (p.type === "array" && p.items === "resource-ref");
}

/**
 * Replaces every `resource-ref` value (and every element of an array of `items: "resource-ref"`) by
 * the resource id it names, so a handler always receives the `string` its params type promises. Core's
 * validator accepts `{ id, type? }` as well as an id and has already checked the `type` against the
 * declared `resourceType`. Returns `params` itself when nothing changes.
 */
export function resourceRefsToIds(
  command: CommandDefinition,
  params: Record<string, unknown>,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const p of command.parameters) {
    if (!isRefParameter(p) || !Object.hasOwn(params, p.name)) continue;
    const value = params[p.name];
    const objectForm = Array.isArray(value) ? p.type === "array" && value.some(isRecord) : isRecord(value);
    if (!objectForm) continue;
    out ??= { ...params };
    const ids = Array.isArray(value) ? value.map(refId) : refId(value);
    Object.defineProperty(out, p.name, { value: ids, enumerable: true, writable: true, configurable: true });
  }
  return out ?? params;
}
