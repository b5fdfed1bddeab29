import type { PluginInfo, ProviderFactory, ProviderMeta } from "./provider.js";

/** Where a plugin was found. */
export const DISCOVERY_SOURCES = ["bundled", "installed", "local", "remote"] as const;
/** A discovery source. */
export type DiscoverySource = (typeof DISCOVERY_SOURCES)[number];

/** A provider a discoverer found, ready to register. */
export interface DiscoveredProvider {
  readonly meta: ProviderMeta;
  readonly factory: ProviderFactory;
  readonly source: DiscoverySource;
  readonly plugin: PluginInfo;
}

/** A plugin that could not be loaded, with the reason. */
export interface DiscoveryProblem {
  readonly location: string;
  readonly source: DiscoverySource;
  readonly message: string;
  /** The manifest field at fault, when known. */
  readonly field?: string;
}

/** The result of one discovery run. */
export interface DiscoveryResult {
  readonly providers: readonly DiscoveredProvider[];
  readonly problems: readonly DiscoveryProblem[];
}

/** Finds provider plugins; `@espada/infra-discovery` implements it, the registry consumes it. */
export interface PluginDiscoverer {
  discover(options?: { readonly signal?: AbortSignal; readonly refresh?: boolean }): Promise<DiscoveryResult>;
}
