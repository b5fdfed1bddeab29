import { z } from "zod";
import { MAX_TIMER_MS } from "../async.js";

// The `discoveryConfig` section (read by @espada/infra-discovery). Its own file so the section list in
// schemas.ts gains one line.

const TIMER_LIMIT_MESSAGE = `must be at most ${MAX_TIMER_MS} ms (the longest delay a Node timer honours)`;
const timerMs = z.number().int().positive().max(MAX_TIMER_MS, TIMER_LIMIT_MESSAGE);
const directory = z.string().min(1).max(4096);

/** Schema of one `discoveryConfig.remoteRegistries[]` entry: an HTTP(S) plugin index. */
export const remoteRegistryConfigSchema = z.strictObject({
  /** URL of the index (JSON listing plugins, versions and sha512 integrity). */
  url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
  /** Request timeout in ms; defaults to `discoveryConfig.remoteTimeout`. */
  timeout: timerMs.optional(),
  /** Extra request headers (an auth token…); sent only to the index's own origin, never logged. */
  headers: z.record(z.string(), z.string()).default({}),
});
/** One remote plugin index. */
export type RemoteRegistryConfig = z.infer<typeof remoteRegistryConfigSchema>;

/** Schema of `discoveryConfig`: where plugin discovery looks and how long it caches. */
export const discoveryConfigSchema = z.strictObject({
  /** Discovery on or off (off: `discover()` finds nothing). */
  enabled: z.boolean().default(true),
  /** Plugin folders shipped with the installation (highest precedence). */
  bundledDirs: z.array(directory).default(() => []),
  /** `node_modules` folders whose packages may declare a plugin in their package.json. */
  installedDirs: z.array(directory).default(() => ["node_modules"]),
  /** Further plugin folders on disk. */
  localDirs: z.array(directory).default(() => []),
  /** Remote plugin indexes (lowest precedence). */
  remoteRegistries: z.array(remoteRegistryConfigSchema).default(() => []),
  /** How long a discovery result is reused, in ms (0: never cached). */
  cacheTtl: z.number().int().nonnegative().default(60_000),
  /** Timeout of a remote request, in ms. */
  remoteTimeout: timerMs.default(10_000),
  /** Largest manifest file read, in bytes. */
  maxManifestBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
});
/** Discovery settings, every default filled in. */
export type DiscoveryConfig = z.infer<typeof discoveryConfigSchema>;
/** What a user may write in `discoveryConfig`. */
export type DiscoveryConfigInput = z.input<typeof discoveryConfigSchema>;
