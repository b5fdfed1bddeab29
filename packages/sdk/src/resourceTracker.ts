import { ValidationError, resourceTypeSchema } from "@espada/infra-core/authoring";
import type { ResourceState, ResourceType } from "@espada/infra-core";

/** A resource as a provider reports it: `metadata` and `updatedAt` may be left out. */
export interface ResourceUpdate {
  readonly id: string;
  readonly type: ResourceType;
  readonly name?: string;
  readonly status: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly updatedAt?: number;
}

/**
 * Records the resources a provider manages — what its `getResources()` reports. A provider hands
 * its own tracker to typed command handlers (fourth argument) and to every `createSimpleProvider`
 * callback (last argument); `createResourceTracker()` makes a standalone one for tests.
 */
export interface ResourceTracker {
  /**
   * Records or replaces a resource; `updatedAt` defaults to now.
   * @throws ValidationError when the id is empty or the type unknown.
   */
  update(resource: ResourceUpdate): ResourceState;
  /** Forgets a resource; returns false when it was not tracked. */
  remove(id: string): boolean;
  /** Every tracked resource, in the order first recorded. */
  list(): readonly ResourceState[];
}

/**
 * Checks a {@link ResourceUpdate} and fills its defaults.
 * @throws ValidationError when the id is empty or the type unknown.
 */
export function toResourceState(resource: ResourceUpdate): ResourceState {
  if (typeof resource.id !== "string" || resource.id === "") {
    throw new ValidationError("Invalid resource: id is required", [
      { code: "REQUIRED", message: "id is required", path: "id" },
    ]);
  }
  if (!resourceTypeSchema.safeParse(resource.type).success) {
    throw new ValidationError(
      `Invalid resource "${resource.id}": type "${String(resource.type)}" is not a resource type`,
      [{ code: "INVALID_VALUE", message: "type is not a resource type", path: "type" }],
    );
  }
  return {
    id: resource.id,
    type: resource.type,
    ...(resource.name === undefined ? {} : { name: resource.name }),
    status: resource.status,
    metadata: resource.metadata ?? {},
    updatedAt: resource.updatedAt ?? Date.now(),
  };
}

/** Creates a standalone in-memory {@link ResourceTracker} (e.g. to call a command's `handle` in a test). */
export function createResourceTracker(): ResourceTracker {
  const resources = new Map<string, ResourceState>();
  return {
    update(resource) {
      const state = toResourceState(resource);
      resources.set(state.id, state);
      return state;
    },
    remove: (id) => resources.delete(id),
    list: () => [...resources.values()],
  };
}
