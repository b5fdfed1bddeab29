import type { InfrastructureProvider, LifecycleState } from "@espada/infra-core";

/**
 * Where the executor finds provider objects. The registry gives the executor its own source
 * (`createCommandExecutor({ providers: registry })`) without ever handing a provider object to
 * anyone else; implement this only to run providers you hold yourself (tests, embedding).
 */
export interface ExecutorProviderSource {
  /** The instance's lifecycle state and provider object, or undefined. */
  getInstance(
    instanceId: string,
  ): { readonly state: LifecycleState; readonly provider: InfrastructureProvider } | undefined;
  /** The ids of every instance, for "did you mean" suggestions. */
  instanceIds?(): Iterable<string>;
}
