import mittImport from "mitt";
import type { Emitter, Handler } from "mitt";
import type { LifecycleState } from "./lifecycle.js";
import type { ProviderHealth } from "./provider.js";
import type { CommandError, ProgressUpdate } from "./commands.js";
import type { ResourceType } from "./taxonomy.js";

/** The 20 framework event names: the spec's 19 plus `command:progress`. */
export const INFRASTRUCTURE_EVENT_TYPES = [
  "provider:registered",
  "provider:initialized",
  "provider:ready",
  "provider:error",
  "provider:terminated",
  "session:created",
  "session:activated",
  "session:expired",
  "session:terminated",
  "command:started",
  "command:progress",
  "command:completed",
  "command:failed",
  "command:cancelled",
  "resource:created",
  "resource:updated",
  "resource:deleted",
  "resource:error",
  "health:check",
  "config:changed",
] as const;
/** A framework event name. */
export type InfrastructureEventType = (typeof INFRASTRUCTURE_EVENT_TYPES)[number];

// mitt's typings are CommonJS-shaped (the factory under `.default`) while its ESM build, which Node
// loads, exports the factory itself as default. Accept both shapes.
type MittFactory = typeof mittImport.default;
const mittRuntime: unknown = mittImport;
const mitt = (
  typeof mittRuntime === "function" ? mittRuntime : (mittRuntime as { default: unknown }).default
) as MittFactory;

/** Common fields of every event. */
interface EventBase {
  /** Epoch ms when the event was emitted. */
  readonly timestamp: number;
}

/** Payload of `provider:*` events. */
export interface ProviderEvent extends EventBase {
  readonly providerId: string;
  readonly instanceId?: string;
  readonly state?: LifecycleState;
  readonly previousState?: LifecycleState;
  readonly error?: { readonly code?: string; readonly message: string };
}

/** Payload of `session:*` events. */
export interface SessionEvent extends EventBase {
  readonly sessionId: string;
  readonly userId?: string;
  readonly reason?: string;
}

/** Payload of `command:*` events. */
export interface CommandEvent extends EventBase {
  readonly executionId: string;
  readonly commandId: string;
  readonly providerId: string;
  readonly instanceId?: string;
  readonly sessionId?: string;
  readonly userId?: string;
  readonly dryRun?: boolean;
  /** ms, on completion/failure/cancellation. */
  readonly duration?: number;
  /** Which attempt this is (1-based), for retries. */
  readonly attempt?: number;
  readonly error?: CommandError;
  readonly progress?: ProgressUpdate;
  readonly affectedResources?: readonly string[];
}

/** Payload of `resource:*` events. */
export interface ResourceEvent extends EventBase {
  readonly resourceId: string;
  readonly providerId: string;
  readonly instanceId?: string;
  readonly resourceType?: ResourceType;
  readonly executionId?: string;
  readonly error?: { readonly code?: string; readonly message: string };
}

/** Payload of `health:check`. */
export interface HealthCheckEvent extends EventBase {
  readonly providerId: string;
  readonly instanceId?: string;
  readonly health: ProviderHealth;
}

/** Payload of `config:changed`. */
export interface ConfigChangedEvent extends EventBase {
  /** Dotted path of the changed key, or undefined for the whole config. */
  readonly path?: string;
  readonly source?: string;
}

/** Maps each event name to its payload. */
export type InfrastructureEventMap = {
  "provider:registered": ProviderEvent;
  "provider:initialized": ProviderEvent;
  "provider:ready": ProviderEvent;
  "provider:error": ProviderEvent;
  "provider:terminated": ProviderEvent;
  "session:created": SessionEvent;
  "session:activated": SessionEvent;
  "session:expired": SessionEvent;
  "session:terminated": SessionEvent;
  "command:started": CommandEvent;
  "command:progress": CommandEvent;
  "command:completed": CommandEvent;
  "command:failed": CommandEvent;
  "command:cancelled": CommandEvent;
  "resource:created": ResourceEvent;
  "resource:updated": ResourceEvent;
  "resource:deleted": ResourceEvent;
  "resource:error": ResourceEvent;
  "health:check": HealthCheckEvent;
  "config:changed": ConfigChangedEvent;
};

/** The typed event bus every package emits on. */
export type InfrastructureEventBus = Emitter<InfrastructureEventMap>;
/** A handler for one event type. */
export type InfrastructureEventHandler<K extends InfrastructureEventType> = Handler<
  InfrastructureEventMap[K]
>;

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Called when a handler throws; the other handlers still run and the emitter never sees the throw. */
  readonly onHandlerError?: (error: unknown, type: InfrastructureEventType) => void;
}

/**
 * Creates a typed event bus (mitt). A handler that throws (or an async handler that rejects) is
 * isolated: the error goes to `onHandlerError` and neither the other handlers nor the code that
 * emitted are affected.
 */
export function createEventBus(options: EventBusOptions = {}): InfrastructureEventBus {
  const bus = mitt<InfrastructureEventMap>();
  const report = options.onHandlerError ?? (() => undefined);
  const call = (run: () => unknown, type: InfrastructureEventType): void => {
    try {
      // An async handler's rejection is reported too, never left to crash the process as unhandled.
      const returned = run();
      if (returned instanceof Promise) returned.catch((error: unknown) => report(error, type));
    } catch (error) {
      report(error, type);
    }
  };
  bus.emit = <K extends keyof InfrastructureEventMap>(type: K, event?: InfrastructureEventMap[K]): void => {
    const handlers = bus.all.get(type);
    if (handlers)
      for (const handler of handlers.slice()) call(() => (handler as Handler<unknown>)(event), type);
    const wildcard = bus.all.get("*");
    if (wildcard)
      for (const handler of wildcard.slice())
        call(() => (handler as (t: unknown, e: unknown) => void)(type, event), type);
  };
  return bus;
}
