// The plugin entry named by the `espadaInfrastructure` manifest in package.json: what plugin discovery
// (and so the `espada-infra` CLI) loads on first use of the provider.
import type { InfrastructureProvider, ProviderFactoryOptions } from "@espada/infra-core";
import { createLocalCloudFactory, localCloudMeta } from "./provider.js";

/** The provider's meta (equal to the manifest's). */
export const meta = localCloudMeta;

const factory = createLocalCloudFactory();

/** Creates a local-cloud instance from the registry's factory options (`settings.stateDir` required). */
export function createProvider(
  options: ProviderFactoryOptions,
): InfrastructureProvider | Promise<InfrastructureProvider> {
  return factory(options);
}
