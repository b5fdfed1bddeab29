/**
 * @espada/infra-registry — the provider registry, the lifecycle manager and the command executor
 * of the Espada infrastructure framework.
 * @packageDocumentation
 */
export { InfrastructureProviderRegistry } from "./registry.js";
export type {
  RegisteredFactory,
  ProviderInstanceInfo,
  CreateProviderOptions,
  ProviderRegistryOptions,
  DiscoverOptions,
  DiscoveryReport,
  RegistryStatistics,
} from "./registry.js";

export { InfrastructureLifecycleManager, LIFECYCLE_MANAGER_DEFAULTS } from "./lifecycleManager.js";
export type {
  LifecycleManagerOptions,
  ResolvedLifecycleOptions,
  ProviderFailure,
  ManagedProviderInfo,
  HealthSummary,
  LifecycleStatistics,
  ShutdownEntry,
  ShutdownReport,
  StateChangeListener,
  RegisterProviderOptions,
  StartAllReport,
} from "./lifecycleManager.js";

export { InfrastructureCommandExecutor, createCommandExecutor } from "./executor.js";
export type {
  ExecutorProviderSource,
  CommandConfigInput,
  CommandExecutorOptions,
  ExecuteRequest,
  ResumeOptions,
  ExecutionOutcome,
  ExecutionStatus,
} from "./executor.js";

export { RESOURCE_CHANGE_KINDS, resourceChangesOf } from "./resourceChanges.js";
export type { ResourceChange, ResourceChangeKind } from "./resourceChanges.js";
