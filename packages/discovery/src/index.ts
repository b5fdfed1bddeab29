/**
 * @espada/infra-discovery — finds infrastructure provider plugins (bundled, installed, local,
 * remote) from their manifests behind core's `PluginDiscoverer`, and loads the framework's
 * configuration from `espada.yaml` or a host object.
 * @packageDocumentation
 */
export {
  InfrastructurePluginDiscoverer,
  createPluginDiscoverer,
  getFrameworkVersion,
  SOURCE_PRECEDENCE,
} from "./discoverer.js";
export type {
  DiscoveredPluginProvider,
  PluginDiscoveryResult,
  PluginDiscovererOptions,
} from "./discoverer.js";

export {
  MANIFEST_FILE_NAMES,
  PACKAGE_JSON_KEY,
  MAX_PROVIDERS_PER_PLUGIN,
  manifestProviderSchema,
  pluginManifestSchema,
  packageJsonManifestSchema,
  remoteArtifactSchema,
  remoteProviderSchema,
  remotePluginSchema,
  remoteIndexSchema,
} from "./manifest.js";
export type { ManifestFileName, ManifestProvider, PluginManifest, RemotePlugin } from "./manifest.js";

export { createLazyFactory } from "./lazyFactory.js";
export type { LazyFactorySpec } from "./lazyFactory.js";
export { checkEntryPath, ENTRY_EXTENSIONS } from "./paths.js";
export { computeIntegrity, matchesIntegrity, MAX_ARTIFACT_BYTES, MAX_INDEX_BYTES } from "./remote.js";
export { closestMatch, editDistance } from "./suggest.js";

export {
  loadInfrastructureConfig,
  parseInfrastructureConfigYaml,
  resolveHostConfig,
  resolveConfigPath,
  formatConfigIssue,
  CONFIG_PATH_ENV,
  CONFIG_PATH_FLAG,
  DEFAULT_CONFIG_FILES,
  MAX_CONFIG_BYTES,
  CONFIG_BLOCK_PATH,
} from "./config/loadConfig.js";
export type {
  ConfigIssue,
  ConfigSource,
  ConfigLoadResult,
  ConfigPathOptions,
  ResolvedConfigPath,
  YamlConfigOptions,
  HostConfigOptions,
} from "./config/loadConfig.js";
export { interpolateEnv } from "./config/interpolate.js";
export type { EnvironmentVariables, InterpolationIssue, InterpolationResult } from "./config/interpolate.js";
