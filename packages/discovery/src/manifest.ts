import { z } from "zod";
// Single-function entries: semver's index loads all of its ~50 modules (a CLI start-up cost).
import semverValid from "semver/functions/valid.js";
import semverValidRange from "semver/ranges/valid.js";
import {
  deferred,
  portableRefine,
  portableSuperRefine,
  providerMetaSchema,
  registerFastParsers,
} from "@espada/infra-core";
import { fastParsers } from "./fastParsers.generated.js";
import { checkEntryPath } from "./paths.js";

registerFastParsers(fastParsers);

/**
 * Manifest file names, in the order they are looked for in a plugin directory: the first one present
 * is the plugin's manifest. `plugin.json` counts only when it has a `providers` key (other tools use
 * that name too); `package.json` only when it has the {@link PACKAGE_JSON_KEY} key.
 */
export const MANIFEST_FILE_NAMES = [
  "infrastructure.plugin.json",
  "espada-infrastructure.json",
  "plugin.json",
  "package.json",
] as const;
/** A manifest file name. */
export type ManifestFileName = (typeof MANIFEST_FILE_NAMES)[number];

/** The package.json key holding a plugin manifest (without `name`/`version`, which package.json has). */
export const PACKAGE_JSON_KEY = "espadaInfrastructure";

/** Most providers one plugin may declare. */
export const MAX_PROVIDERS_PER_PLUGIN = 100;

/** A small memo for pure string checks that many manifests repeat (the same ranges and versions). */
function memo(check: (value: string) => boolean): (value: string) => boolean {
  const cache = new Map<string, boolean>();
  return (value) => {
    let ok = cache.get(value);
    if (ok === undefined) {
      ok = check(value);
      if (cache.size >= 4096) cache.clear();
      cache.set(value, ok);
    }
    return ok;
  };
}

/** {@link checkEntryPath}, remembered: most plugins name the same few entries (`./dist/index.js`). */
const entryProblem = ((): ((entry: string) => string | undefined) => {
  const cache = new Map<string, string>(); // "" = acceptable (a reason is never empty)
  return (entry) => {
    let problem = cache.get(entry);
    if (problem === undefined) {
      problem = checkEntryPath(entry) ?? "";
      if (cache.size >= 4096) cache.clear();
      cache.set(entry, problem);
    }
    return problem === "" ? undefined : problem;
  };
})();

/**
 * The semver options a plugin's `frameworkVersion` range is read with, here and when the
 * discoverer checks it: a prerelease framework counts. The same options make the range semver
 * parses for the schema the one its cache hands to the compatibility check, instead of a second
 * parse (whether a range is valid does not depend on them).
 */
export const FRAMEWORK_RANGE_OPTIONS = { includePrerelease: true } as const;

const isVersion = portableRefine(
  "discovery.isVersion",
  memo((value) => semverValid(value) !== null),
);
const isRange = portableRefine(
  "discovery.isRange",
  memo((value) => semverValidRange(value, FRAMEWORK_RANGE_OPTIONS) !== null),
);

/** An entry path that stays inside the plugin directory (see `entryProblem`). */
const safeEntryPath = portableSuperRefine("discovery.entryPath", (value: string, ctx) => {
  const problem = entryProblem(value);
  if (problem !== undefined)
    ctx.addIssue({ code: "custom", message: problem, params: { code: "UNSAFE_PATH" } });
});

const semverVersionSchema = deferred(() =>
  z.string().max(256).refine(isVersion, { message: "must be a semantic version (1.2.3)" }),
);

const semverRangeSchema = deferred(() =>
  z.string().max(256).refine(isRange, { message: "must be a semver range (^1.0.0)" }),
);

const exportNameSchema = deferred(() =>
  z
    .string()
    .regex(/^[A-Za-z_$][\w$]*$/, "must be a JavaScript identifier")
    .max(256),
);

const entryPathSchema = deferred(() => z.string().max(1024).check(safeEntryPath()));

/** Schema of one provider a local manifest declares: its meta (no code is run to learn it) and entry module. */
export const manifestProviderSchema = deferred(() =>
  z.strictObject({
    /** The provider's meta, as the entry module will export it. */
    meta: providerMetaSchema,
    /** Path of the entry module, relative to the plugin directory (`./dist/index.js`). */
    entry: entryPathSchema,
    /** Export of the entry module holding `{ meta, createProvider }`; default: the default export, else the module itself. */
    export: exportNameSchema.optional(),
  }),
);
/** One provider of a local manifest. */
export type ManifestProvider = z.infer<typeof manifestProviderSchema>;

const manifestBody = () => ({
  /** Semver range of the framework API (`@espada/infra-core`'s version) the plugin needs. */
  frameworkVersion: semverRangeSchema,
  description: z.string().max(4096).optional(),
  providers: z
    .array(manifestProviderSchema)
    .min(1, "must declare at least one provider")
    .max(MAX_PROVIDERS_PER_PLUGIN),
});

/** Schema of `infrastructure.plugin.json`, `espada-infrastructure.json` and `plugin.json`. */
export const pluginManifestSchema = deferred(
  () =>
    z.strictObject({
      name: z.string().min(1).max(214),
      version: semverVersionSchema,
      ...manifestBody(),
    }),
  "discovery.pluginManifest",
);
/** A parsed plugin manifest. */
export type PluginManifest = z.infer<typeof pluginManifestSchema>;

/** Schema of the `espadaInfrastructure` key of a package.json (name and version come from package.json). */
export const packageJsonManifestSchema = deferred(
  () => z.strictObject(manifestBody()),
  "discovery.packageJsonManifest",
);

/** Schema of the package.json fields discovery reads besides the manifest key. */
export const packageJsonIdentitySchema = deferred(
  () =>
    z.object({
      name: z.string().min(1).max(214),
      version: semverVersionSchema,
    }),
  "discovery.packageJsonIdentity",
);

/** Schema of an artifact reference in a remote index: where the module is and its sha512 integrity. */
export const remoteArtifactSchema = deferred(() =>
  z.strictObject({
    /** URL of the entry module (a self-contained ES module), absolute or relative to the index URL. */
    url: z.string().min(1).max(2048),
    /** Subresource-integrity string: `sha512-<base64 digest>`. */
    integrity: z
      .string()
      .regex(/^sha512-[A-Za-z0-9+/]{86}==$/, "must be a sha512 integrity (sha512-<base64>)"),
  }),
);

/** Schema of one provider a remote index entry declares. */
export const remoteProviderSchema = deferred(() =>
  z.strictObject({
    meta: providerMetaSchema,
    export: exportNameSchema.optional(),
  }),
);

/** Schema of one plugin (one version) listed by a remote index. */
export const remotePluginSchema = deferred(() =>
  z.strictObject({
    name: z.string().min(1).max(214),
    version: semverVersionSchema,
    frameworkVersion: semverRangeSchema,
    description: z.string().max(4096).optional(),
    artifact: remoteArtifactSchema,
    providers: z
      .array(remoteProviderSchema)
      .min(1, "must declare at least one provider")
      .max(MAX_PROVIDERS_PER_PLUGIN),
  }),
);
/** One plugin version of a remote index. */
export type RemotePlugin = z.infer<typeof remotePluginSchema>;

/** Schema of a remote index document: `{ plugins: [...] }`; each entry is checked on its own. */
export const remoteIndexSchema = deferred(
  () =>
    z.object({
      plugins: z.array(z.unknown()).max(100_000),
    }),
  "discovery.remoteIndex",
);
