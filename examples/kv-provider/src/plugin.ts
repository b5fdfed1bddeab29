// The entry module discovery imports (`infrastructure.plugin.json` → `./dist/plugin.js`): the
// provider's meta and a factory the registry calls once per instance.
import type { ProviderFactoryOptions } from "@espada/infra-core";
import { KvProvider, kvMeta } from "./kvProvider.js";

/** The provider's meta; discovery checks it equals the manifest's `providers[0].meta`. */
export const meta = kvMeta;

/** Creates one `kv-db` instance for the registry (a fresh in-memory backend per instance). */
export function createProvider(options: ProviderFactoryOptions): KvProvider {
  return new KvProvider({ instanceId: options.instanceId, logger: options.logger });
}
