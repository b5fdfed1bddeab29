import { readdirSync, readFileSync } from "node:fs";
import type { Dirent } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
// Single-function entries: semver's index loads all of its ~50 modules (a CLI start-up cost).
import semverRcompare from "semver/functions/rcompare.js";
import semverSatisfies from "semver/functions/satisfies.js";
import semverValid from "semver/functions/valid.js";
import {
  ConfigValidationError,
  InfrastructureError,
  cancelledError,
  createNoopLogger,
  discoveryConfigSchema,
  isRecord,
  raceAbort,
  toError,
  tieredSafeParse,
  toValidationIssues,
} from "@espada/infra-core";
import type {
  DiscoveredProvider,
  DiscoveryConfig,
  DiscoveryConfigInput,
  DiscoveryProblem,
  DiscoveryResult,
  DiscoverySource,
  InfrastructureLogger,
  PluginDiscoverer,
  PluginInfo,
  ProviderMeta,
  RemoteRegistryConfig,
} from "@espada/infra-core";
import type { z } from "zod";
import { describeIssues } from "./issues.js";
import { loadEntryModule } from "./entryModule.js";
import { createLazyFactory } from "./lazyFactory.js";
import {
  FRAMEWORK_RANGE_OPTIONS,
  MANIFEST_FILE_NAMES,
  PACKAGE_JSON_KEY,
  packageJsonIdentitySchema,
  packageJsonManifestSchema,
  pluginManifestSchema,
  remoteIndexSchema,
  remotePluginSchema,
} from "./manifest.js";
import type { ManifestFileName } from "./manifest.js";
import { childPath, describeFsError, readSmallFile, realPath, resolveEntry } from "./paths.js";
import type { FsResult } from "./paths.js";
import { httpGet } from "./http.js";
import { MAX_INDEX_BYTES, fetchVerifiedArtifact, importModuleBytes } from "./remote.js";

/** Source precedence, highest first: the same provider id found in two sources is taken from the earlier one. */
export const SOURCE_PRECEDENCE: readonly DiscoverySource[] = ["bundled", "installed", "local", "remote"];

/** A provider found by {@link InfrastructurePluginDiscoverer}: core's shape plus where it came from. */
export interface DiscoveredPluginProvider extends DiscoveredProvider {
  /** Real path of the entry module (inside `plugin.path`), or the artifact URL of a remote plugin. */
  readonly entry: string;
  /** The manifest file, or `<index URL>#plugins[i]` for a remote plugin. */
  readonly manifest: string;
}

/** What {@link InfrastructurePluginDiscoverer.discover} returns. */
export interface PluginDiscoveryResult extends DiscoveryResult {
  readonly providers: readonly DiscoveredPluginProvider[];
  /** Epoch ms the run finished. */
  readonly discoveredAt: number;
  /** True when the result came from the cache. */
  readonly fromCache: boolean;
}

/** Options of {@link InfrastructurePluginDiscoverer}. */
export interface PluginDiscovererOptions {
  /** The `discoveryConfig` section; parsed with its schema (defaults filled in). */
  readonly config?: DiscoveryConfigInput;
  /** Base of relative directories (default `process.cwd()`). */
  readonly cwd?: string;
  /** Framework API version plugins are checked against (default: the installed `@espada/infra-core` version). */
  readonly frameworkVersion?: string;
  readonly logger?: InfrastructureLogger;
  /** Clock for the cache TTL (default `Date.now`). */
  readonly now?: () => number;
}

interface Candidate {
  readonly provider: DiscoveredPluginProvider;
  readonly rank: number;
  readonly order: number;
  readonly pluginVersion: string;
}

/** A declared local entry waiting for its file-system check (done in one batch after the walk). */
interface PendingEntry {
  readonly realDir: string;
  readonly entry: string;
  readonly file: string;
  readonly field: string;
  readonly source: DiscoverySource;
  readonly plugin: PluginInfo;
  readonly meta: ProviderMeta;
  readonly exportName: string | undefined;
  readonly pluginVersion: string;
  readonly order: number;
}

/** A directory that may hold a plugin, and the manifest names to look for in it. */
interface DirJob {
  readonly dir: string;
  /** Its real path when already known (a plain directory under a real root). */
  readonly knownReal: string | undefined;
  readonly source: DiscoverySource;
  readonly names: readonly ManifestFileName[];
}

/** The first manifest file found in a plugin directory: its text, or why it could not be read. */
interface ManifestRead {
  readonly job: DirJob;
  readonly realDir: string;
  /** Index of `name` in `job.names`. */
  readonly index: number;
  readonly name: ManifestFileName;
  readonly file: string;
  readonly read: FsResult<string>;
}

const PACKAGE_JSON_ONLY: readonly ManifestFileName[] = ["package.json"];

interface RunState {
  readonly candidates: Candidate[];
  readonly pending: PendingEntry[];
  readonly problems: DiscoveryProblem[];
  readonly seenDirs: Set<string>;
  readonly signal: AbortSignal;
  order: number;
}

/** Directories handled per batch (then the run yields to the event loop). */
const YIELD_EVERY = 256;
/** Most manifest text (UTF-16 code units) read ahead of parsing in one batch. */
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Parses with core's `tieredSafeParse` (jitless while the schema is cold, its fast parser once warm);
 * a failure is parsed again with `reportInput` (a missing key told from a wrong type). The
 * diagnostics always come from zod.
 */
function parseReporting<T extends z.ZodType>(schema: T, value: unknown): z.ZodSafeParseResult<z.output<T>> {
  const parsed = tieredSafeParse(schema, value);
  return parsed.success ? parsed : tieredSafeParse(schema, value, { reportInput: true });
}
const MAX_ISSUES_PER_MANIFEST = 10;
const yieldToLoop = (): Promise<void> => new Promise((done) => setImmediate(done));

/** The entries of `dir`, sorted by name (a stable scan order), or why it could not be listed. */
function listSorted(dir: string): FsResult<Dirent[]> {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    return { ok: true, value: entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  } catch (error) {
    return { ok: false, reason: describeFsError(error) };
  }
}

let coreVersion: string | undefined;
/** The installed `@espada/infra-core` version: the framework API plugins declare a range for. */
export function getFrameworkVersion(): string {
  if (coreVersion !== undefined) return coreVersion;
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(readFileSync(require.resolve("@espada/infra-core/package.json"), "utf8")) as {
    version?: unknown;
  };
  if (typeof pkg.version !== "string")
    throw new InfrastructureError("DISCOVERY_FAILED", "@espada/infra-core has no version");
  coreVersion = pkg.version;
  return coreVersion;
}

/**
 * Finds provider plugins in four sources — bundled, installed, local and remote, in that precedence —
 * from their manifests alone (no plugin code runs), and hands the registry lazy factories that
 * import an entry module on first use. Results are cached for `cacheTtl` ms.
 *
 * `discover()` never throws for a bad plugin, directory or index: each becomes a problem naming the
 * file (or URL) and the field. It rejects only when its signal aborts (`CANCELLED`) or after
 * `close()` (`SHUTDOWN`).
 */
export class InfrastructurePluginDiscoverer implements PluginDiscoverer {
  /** The parsed `discoveryConfig`. */
  readonly config: DiscoveryConfig;
  readonly #cwd: string;
  readonly #frameworkVersion: string;
  readonly #logger: InfrastructureLogger;
  readonly #now: () => number;
  readonly #closer = new AbortController();
  readonly #compatible = new Map<string, boolean>();
  #cache: { readonly result: PluginDiscoveryResult; readonly at: number } | undefined;
  #inflight: Promise<PluginDiscoveryResult> | undefined;
  #generation = 0;

  /** @throws ConfigValidationError naming the field (`remoteRegistries[0].url`) when `config` is invalid. */
  constructor(options: PluginDiscovererOptions = {}) {
    const parsed = tieredSafeParse(discoveryConfigSchema, options.config ?? {}, { reportInput: true });
    if (!parsed.success) {
      const issues = toValidationIssues(parsed.error.issues, "discoveryConfig");
      const first = issues[0];
      throw new ConfigValidationError(
        `Invalid discovery config at ${first?.path ?? "discoveryConfig"}: ${first?.message ?? "invalid"}`,
        issues,
      );
    }
    this.config = parsed.data;
    this.#cwd = options.cwd ?? process.cwd();
    this.#frameworkVersion = options.frameworkVersion ?? getFrameworkVersion();
    if (semverValid(this.#frameworkVersion) === null) {
      throw new InfrastructureError("INVALID_ARGUMENT", "frameworkVersion must be a semantic version", {
        field: "frameworkVersion",
      });
    }
    this.#logger = (options.logger ?? createNoopLogger()).child("discovery");
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs discovery, or returns the cached result while it is younger than `cacheTtl` (`refresh: true`
   * bypasses the cache). Concurrent calls share one run; a caller's abort only stops its own wait.
   * @throws `CANCELLED` when `signal` aborts; `SHUTDOWN` after {@link close}.
   */
  discover(
    options: { readonly signal?: AbortSignal; readonly refresh?: boolean } = {},
  ): Promise<PluginDiscoveryResult> {
    if (this.#closer.signal.aborted)
      return Promise.reject(new InfrastructureError("SHUTDOWN", "The plugin discoverer is closed"));
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(cancelledError(signal, "Plugin discovery"));
    const cached = this.#cache;
    if (options.refresh !== true && cached !== undefined && this.#now() - cached.at < this.config.cacheTtl) {
      return Promise.resolve({ ...cached.result, fromCache: true });
    }
    if (options.refresh === true) this.#generation += 1;
    let inflight = this.#inflight;
    if (options.refresh === true || inflight === undefined) {
      const generation = this.#generation;
      const run = this.#run();
      this.#inflight = run;
      inflight = run;
      run.then(
        (result) => {
          if (this.#inflight === run) this.#inflight = undefined;
          if (generation === this.#generation && this.config.cacheTtl > 0 && !this.#closer.signal.aborted) {
            this.#cache = { result, at: this.#now() };
          }
        },
        () => {
          if (this.#inflight === run) this.#inflight = undefined;
        },
      );
    }
    return signal === undefined ? inflight : raceAbort(inflight, signal, "Plugin discovery");
  }

  /** Drops the cached result; the next `discover()` runs again (a run in flight is not cached). */
  invalidate(): void {
    this.#cache = undefined;
    this.#generation += 1;
  }

  /** Stops runs and artifact downloads in flight, drops the cache; later `discover()` calls reject with `SHUTDOWN`. */
  close(): void {
    this.#closer.abort(new InfrastructureError("SHUTDOWN", "The plugin discoverer is closed"));
    this.#cache = undefined;
  }

  async #run(): Promise<PluginDiscoveryResult> {
    const started = this.#now();
    const state: RunState = {
      candidates: [],
      pending: [],
      problems: [],
      seenDirs: new Set(),
      signal: this.#closer.signal,
      order: 0,
    };
    if (this.config.enabled) {
      // Remote requests go out first and progress while the local walk yields to the event loop.
      const remote = this.config.remoteRegistries.map((registry, index) =>
        this.#scanRemote(registry, index, state).catch((error: unknown) => {
          state.problems.push({
            location: registry.url,
            source: "remote",
            message: `remote index failed: ${toError(error).message}`,
            field: `remoteRegistries[${index}].url`,
          });
        }),
      );
      try {
        await this.#scanDirs(this.config.bundledDirs, "bundled", state);
        await this.#scanDirs(this.config.installedDirs, "installed", state);
        await this.#scanDirs(this.config.localDirs, "local", state);
      } catch (error) {
        // Only an abort is meant to stop a run; anything else is reported, never thrown.
        if (!state.signal.aborted)
          state.problems.push({
            location: this.#cwd,
            source: "local",
            message: `discovery failed: ${toError(error).message}`,
          });
      } finally {
        // Entry checks run together after the walk: a tight loop of lstat calls keeps the kernel's
        // path lookup warm, where interleaving them with JSON and schema work measured slower.
        if (!state.signal.aborted) this.#verifyEntries(state);
        await Promise.all(remote);
      }
      if (state.signal.aborted) throw cancelledError(state.signal, "Plugin discovery");
    }
    const providers = this.#settle(state);
    const result: PluginDiscoveryResult = {
      providers,
      problems: state.problems,
      discoveredAt: this.#now(),
      fromCache: false,
    };
    this.#logger.debug(`discovered ${providers.length} provider(s), ${state.problems.length} problem(s)`, {
      durationMs: this.#now() - started,
    });
    return result;
  }

  /** Lets other work run (the remote requests, timers) every {@link YIELD_EVERY} directories, and honours an abort. */
  async #yield(state: RunState): Promise<void> {
    await yieldToLoop();
    if (state.signal.aborted) throw cancelledError(state.signal, "Plugin discovery");
  }

  async #scanDirs(dirs: readonly string[], source: DiscoverySource, state: RunState): Promise<void> {
    const field = `${source}Dirs`;
    for (const [index, dir] of dirs.entries()) {
      const root = resolve(this.#cwd, dir);
      const real = realPath(root);
      if (!real.ok) {
        // A host without node_modules is normal; a configured plugin folder that is missing is not.
        if (!(source === "installed" && real.missing === true)) {
          state.problems.push({
            location: root,
            source,
            message: `plugin directory ${real.reason}`,
            field: `${field}[${index}]`,
          });
        }
        continue;
      }
      try {
        if (source === "installed") await this.#scanNodeModules(real.value, state);
        else await this.#scanPluginFolder(real.value, source, state);
      } catch (error) {
        if (state.signal.aborted) throw error;
        state.problems.push({
          location: root,
          source,
          message: `plugin directory could not be scanned: ${toError(error).message}`,
          field: `${field}[${index}]`,
        });
      }
    }
  }

  #listDir(dir: string, source: DiscoverySource, state: RunState): Dirent[] {
    const listed = listSorted(dir);
    if (listed.ok) return listed.value;
    state.problems.push({ location: dir, source, message: `directory ${listed.reason}` });
    return [];
  }

  /**
   * A folder is itself a plugin (it holds a manifest) or a folder of plugin directories. Its listing,
   * needed for the second case anyway, names the manifests to read: no failed open per absent name.
   */
  async #scanPluginFolder(root: string, source: DiscoverySource, state: RunState): Promise<void> {
    const listed = listSorted(root);
    // An unlisted folder may still be a plugin whose files can be opened: every name is tried.
    const names = listed.ok
      ? MANIFEST_FILE_NAMES.filter((name) => listed.value.some((entry) => entry.name === name))
      : MANIFEST_FILE_NAMES;
    if (this.#scanPluginDir({ dir: root, knownReal: root, source, names }, state)) return;
    if (!listed.ok) {
      state.problems.push({ location: root, source, message: `directory ${listed.reason}` });
      return;
    }
    const batch: DirJob[] = [];
    for (const entry of listed.value) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      // A plain directory under a real root is already a real path; only a symlink needs resolving.
      const path = childPath(root, entry.name);
      batch.push({
        dir: path,
        knownReal: entry.isSymbolicLink() ? undefined : path,
        source,
        names: MANIFEST_FILE_NAMES,
      });
      if (batch.length >= YIELD_EVERY) await this.#flush(batch, state);
    }
    await this.#flush(batch, state);
  }

  async #scanNodeModules(root: string, state: RunState): Promise<void> {
    const batch: DirJob[] = [];
    // no promise per entry: only a full batch is awaited
    const add = (path: string, link: boolean): boolean =>
      batch.push({
        dir: path,
        knownReal: link ? undefined : path,
        source: "installed",
        names: PACKAGE_JSON_ONLY,
      }) >= YIELD_EVERY;
    for (const entry of this.#listDir(root, "installed", state)) {
      if (entry.name.startsWith(".")) continue;
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      if (entry.name.startsWith("@")) {
        const scope = entry.isSymbolicLink()
          ? realPath(join(root, entry.name))
          : { ok: true as const, value: join(root, entry.name) };
        if (!scope.ok) {
          state.problems.push({
            location: join(root, entry.name),
            source: "installed",
            message: `directory ${scope.reason}`,
          });
          continue;
        }
        for (const scoped of this.#listDir(scope.value, "installed", state)) {
          if (scoped.name.startsWith(".") || (!scoped.isDirectory() && !scoped.isSymbolicLink())) continue;
          if (add(join(scope.value, scoped.name), scoped.isSymbolicLink())) await this.#flush(batch, state);
        }
        continue;
      }
      if (add(childPath(root, entry.name), entry.isSymbolicLink())) await this.#flush(batch, state);
    }
    await this.#flush(batch, state);
  }

  /**
   * Handles a batch of plugin directories in two passes — first every manifest read (system calls
   * back to back), then every parse and schema check — and yields to the event loop. Grouping like
   * work measured faster than alternating file reads with JSON and zod work per directory.
   */
  async #flush(batch: DirJob[], state: RunState): Promise<void> {
    if (batch.length === 0) return;
    const reads: ManifestRead[] = [];
    let bytes = 0;
    for (const job of batch) {
      const realDir = this.#realDirOf(job, state);
      if (realDir === undefined || state.seenDirs.has(realDir)) continue;
      const read = this.#probe(realDir, job, 0);
      if (read === undefined) continue;
      reads.push(read);
      // Bounded memory: at most BATCH_BYTES of manifest text is held before it is parsed.
      if (read.read.ok) bytes += read.read.value.length;
      if (bytes >= BATCH_BYTES) {
        this.#considerAll(reads, state);
        bytes = 0;
      }
    }
    batch.length = 0;
    this.#considerAll(reads, state);
    await this.#yield(state);
  }

  #considerAll(reads: ManifestRead[], state: RunState): void {
    for (const read of reads) {
      if (!state.seenDirs.has(read.realDir)) this.#consider(read, state);
    }
    reads.length = 0;
  }

  /** The real path of a job's directory, or undefined (a problem is recorded) when it cannot be resolved. */
  #realDirOf(job: DirJob, state: RunState): string | undefined {
    if (job.knownReal !== undefined) return job.knownReal;
    const real = realPath(job.dir);
    if (!real.ok) {
      state.problems.push({
        location: job.dir,
        source: job.source,
        message: `plugin directory ${real.reason}`,
      });
      return undefined;
    }
    return real.value;
  }

  /**
   * Reads the first manifest of `names` present in `dir` (unbatched: the folder root itself). Returns
   * false when `dir` holds none of ours (not a plugin: no problem), true when it was handled (found,
   * or reported as a problem).
   */
  #scanPluginDir(job: DirJob, state: RunState): boolean {
    const realDir = this.#realDirOf(job, state);
    if (realDir === undefined) return true;
    if (state.seenDirs.has(realDir)) return true;
    const read = this.#probe(realDir, job, 0);
    return read === undefined ? false : this.#consider(read, state);
  }

  /** Reads the first of `job.names` (from index `from`) present in `realDir`; undefined when none is. */
  #probe(realDir: string, job: DirJob, from: number): ManifestRead | undefined {
    for (let index = from; index < job.names.length; index++) {
      const name = job.names[index] as ManifestFileName;
      const file = childPath(realDir, name);
      const read = readSmallFile(file, this.config.maxManifestBytes);
      if (!read.ok && read.missing === true) continue;
      return { job, realDir, index, name, file, read };
    }
    return undefined;
  }

  /**
   * Parses a manifest read by {@link #probe}. A generic file name (`plugin.json`, `package.json`)
   * without our key is not ours: the next name is probed. Returns as {@link #scanPluginDir}.
   */
  #consider(first: ManifestRead, state: RunState): boolean {
    const { job, realDir } = first;
    const { source } = job;
    for (
      let current: ManifestRead | undefined = first;
      current !== undefined;
      current = this.#probe(realDir, job, current.index + 1)
    ) {
      const { read, file, name } = current;
      if (!read.ok) {
        state.problems.push({ location: file, source, message: `manifest ${read.reason}`, field: name });
        state.seenDirs.add(realDir);
        return true;
      }
      let json: unknown;
      try {
        json = JSON.parse(read.value);
      } catch (error) {
        // A generic file name (plugin.json, package.json) that is not JSON is someone else's problem in node_modules.
        if (source === "installed") return false;
        state.problems.push({
          location: file,
          source,
          message: `manifest is not valid JSON: ${toError(error).message}`,
        });
        state.seenDirs.add(realDir);
        return true;
      }
      if (name === "plugin.json" && !(isRecord(json) && Object.hasOwn(json, "providers"))) continue;
      if (name === "package.json" && !(isRecord(json) && Object.hasOwn(json, PACKAGE_JSON_KEY))) continue;
      state.seenDirs.add(realDir);
      this.#readManifest(json, name, file, realDir, source, state);
      return true;
    }
    return false;
  }

  #problemsFromIssues(
    schema: z.ZodType,
    issues: readonly z.core.$ZodIssue[],
    base: string,
    location: string,
    source: DiscoverySource,
    state: RunState,
  ): void {
    const described = describeIssues(schema, issues, base);
    for (const issue of described.slice(0, MAX_ISSUES_PER_MANIFEST)) {
      state.problems.push({
        location,
        source,
        message: `${issue.path ?? "manifest"}: ${issue.message}`,
        ...(issue.path === undefined ? {} : { field: issue.path }),
      });
    }
    if (described.length > MAX_ISSUES_PER_MANIFEST) {
      state.problems.push({
        location,
        source,
        message: `and ${described.length - MAX_ISSUES_PER_MANIFEST} more problem(s) in this manifest`,
      });
    }
  }

  #isCompatible(range: string): boolean {
    let ok = this.#compatible.get(range);
    if (ok === undefined) {
      ok = semverSatisfies(this.#frameworkVersion, range, FRAMEWORK_RANGE_OPTIONS);
      this.#compatible.set(range, ok);
    }
    return ok;
  }

  #readManifest(
    json: unknown,
    name: ManifestFileName,
    file: string,
    realDir: string,
    source: DiscoverySource,
    state: RunState,
  ): void {
    let manifest: {
      name: string;
      version: string;
      frameworkVersion: string;
      providers: readonly { meta: ProviderMeta; entry: string; export?: string | undefined }[];
    };
    const base = name === "package.json" ? PACKAGE_JSON_KEY : "";
    if (name === "package.json") {
      const pkg = json as Record<string, unknown>;
      const identity = parseReporting(packageJsonIdentitySchema, pkg);
      if (!identity.success) {
        this.#problemsFromIssues(packageJsonIdentitySchema, identity.error.issues, "", file, source, state);
        return;
      }
      const body = parseReporting(packageJsonManifestSchema, pkg[PACKAGE_JSON_KEY]);
      if (!body.success) {
        this.#problemsFromIssues(packageJsonManifestSchema, body.error.issues, base, file, source, state);
        return;
      }
      manifest = { ...body.data, name: identity.data.name, version: identity.data.version };
    } else {
      const parsed = parseReporting(pluginManifestSchema, json);
      if (!parsed.success) {
        this.#problemsFromIssues(pluginManifestSchema, parsed.error.issues, "", file, source, state);
        return;
      }
      manifest = parsed.data;
    }
    const at = (field: string): string => (base === "" ? field : `${base}.${field}`);
    if (!this.#isCompatible(manifest.frameworkVersion)) {
      state.problems.push({
        location: file,
        source,
        message: `plugin "${manifest.name}" needs framework ${manifest.frameworkVersion}, this is ${this.#frameworkVersion}; skipped`,
        field: at("frameworkVersion"),
      });
      return;
    }
    const plugin: PluginInfo = { name: manifest.name, version: manifest.version, path: realDir };
    const ids = new Set<string>();
    manifest.providers.forEach((declared, index) => {
      const field = at(`providers[${index}]`);
      if (ids.has(declared.meta.id)) {
        state.problems.push({
          location: file,
          source,
          message: `provider "${declared.meta.id}" is declared twice in this manifest`,
          field: `${field}.meta.id`,
        });
        return;
      }
      ids.add(declared.meta.id);
      state.pending.push({
        realDir,
        entry: declared.entry,
        file,
        field: `${field}.entry`,
        source,
        plugin,
        meta: declared.meta,
        exportName: declared.export,
        pluginVersion: manifest.version,
        order: state.order++,
      });
    });
  }

  /** Resolves every pending entry against its real plugin directory; one outside it, missing or not a file is a problem. */
  #verifyEntries(state: RunState): void {
    for (const pending of state.pending) {
      const resolved = resolveEntry(pending.realDir, pending.entry);
      if (!resolved.ok) {
        state.problems.push({
          location: pending.file,
          source: pending.source,
          message: `entry "${pending.entry}" ${resolved.reason}`,
          field: pending.field,
        });
        continue;
      }
      const { realDir, entry } = pending;
      const factory = createLazyFactory({
        meta: pending.meta,
        ...(pending.exportName === undefined ? {} : { exportName: pending.exportName }),
        location: resolved.value,
        load: async () => {
          // Checked again at import time: the directory may have changed since discovery.
          const again = resolveEntry(realDir, entry);
          if (!again.ok) throw new Error(`entry "${entry}" ${again.reason}`);
          return loadEntryModule(again.value);
        },
      });
      state.candidates.push({
        provider: {
          meta: pending.meta,
          factory,
          source: pending.source,
          plugin: pending.plugin,
          entry: resolved.value,
          manifest: pending.file,
        },
        rank: SOURCE_PRECEDENCE.indexOf(pending.source),
        order: pending.order,
        pluginVersion: pending.pluginVersion,
      });
    }
    state.pending.length = 0;
  }

  async #scanRemote(registry: RemoteRegistryConfig, index: number, state: RunState): Promise<void> {
    const field = `remoteRegistries[${index}].url`;
    const timeoutMs = registry.timeout ?? this.config.remoteTimeout;
    let indexUrl: URL;
    try {
      indexUrl = new URL(registry.url);
    } catch {
      state.problems.push({
        location: registry.url,
        source: "remote",
        message: "remote index URL is invalid",
        field,
      });
      return;
    }
    const location = indexUrl.href;
    const fetched = await httpGet(indexUrl, {
      timeoutMs,
      maxBytes: MAX_INDEX_BYTES,
      headers: registry.headers,
      signal: state.signal,
    });
    if (!fetched.ok) {
      state.problems.push({
        location,
        source: "remote",
        message: `remote index unreachable: ${fetched.reason}`,
        field,
      });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(fetched.body.toString("utf8"));
    } catch (error) {
      state.problems.push({
        location,
        source: "remote",
        message: `remote index is not valid JSON: ${toError(error).message}`,
        field,
      });
      return;
    }
    const parsedIndex = parseReporting(remoteIndexSchema, json);
    if (!parsedIndex.success) {
      this.#problemsFromIssues(remoteIndexSchema, parsedIndex.error.issues, "", location, "remote", state);
      return;
    }
    const finalUrl = fetched.url;
    parsedIndex.data.plugins.forEach((raw, pluginIndex) => {
      const where = `${location}#plugins[${pluginIndex}]`;
      const parsed = parseReporting(remotePluginSchema, raw);
      if (!parsed.success) {
        this.#problemsFromIssues(
          remotePluginSchema,
          parsed.error.issues,
          `plugins[${pluginIndex}]`,
          location,
          "remote",
          state,
        );
        return;
      }
      const entry = parsed.data;
      if (!this.#isCompatible(entry.frameworkVersion)) {
        state.problems.push({
          location: where,
          source: "remote",
          message: `plugin "${entry.name}" ${entry.version} needs framework ${entry.frameworkVersion}, this is ${this.#frameworkVersion}; skipped`,
          field: `plugins[${pluginIndex}].frameworkVersion`,
        });
        return;
      }
      let artifactUrl: URL;
      try {
        artifactUrl = new URL(entry.artifact.url, finalUrl);
      } catch {
        state.problems.push({
          location: where,
          source: "remote",
          message: "artifact URL is invalid",
          field: `plugins[${pluginIndex}].artifact.url`,
        });
        return;
      }
      if (artifactUrl.protocol !== "http:" && artifactUrl.protocol !== "https:") {
        state.problems.push({
          location: where,
          source: "remote",
          message: "artifact URL must be http or https",
          field: `plugins[${pluginIndex}].artifact.url`,
        });
        return;
      }
      const headers = artifactUrl.origin === indexUrl.origin ? registry.headers : {};
      const integrity = entry.artifact.integrity;
      let module: Promise<unknown> | undefined;
      const loadModule = (): Promise<unknown> => {
        module ??= fetchVerifiedArtifact({
          url: artifactUrl,
          integrity,
          timeoutMs,
          headers,
          signal: this.#closer.signal,
        })
          .then(importModuleBytes)
          .catch((error: unknown) => {
            module = undefined;
            throw error;
          });
        return module;
      };
      const plugin: PluginInfo = { name: entry.name, version: entry.version, path: artifactUrl.href };
      const ids = new Set<string>();
      entry.providers.forEach((declared, providerIndex) => {
        if (ids.has(declared.meta.id)) {
          state.problems.push({
            location: where,
            source: "remote",
            message: `provider "${declared.meta.id}" is declared twice in this plugin`,
            field: `plugins[${pluginIndex}].providers[${providerIndex}].meta.id`,
          });
          return;
        }
        ids.add(declared.meta.id);
        const factory = createLazyFactory({
          meta: declared.meta,
          ...(declared.export === undefined ? {} : { exportName: declared.export }),
          location: artifactUrl.href,
          load: loadModule,
        });
        state.candidates.push({
          provider: {
            meta: declared.meta,
            factory,
            source: "remote",
            plugin,
            entry: artifactUrl.href,
            manifest: where,
          },
          rank: SOURCE_PRECEDENCE.indexOf("remote"),
          order: state.order++,
          pluginVersion: entry.version,
        });
      });
    });
  }

  /** One winner per provider id: source precedence, then the higher meta version, then plugin version, then scan order. */
  #settle(state: RunState): DiscoveredPluginProvider[] {
    const groups = new Map<string, Candidate[]>();
    for (const candidate of state.candidates) {
      const group = groups.get(candidate.provider.meta.id);
      if (group === undefined) groups.set(candidate.provider.meta.id, [candidate]);
      else group.push(candidate);
    }
    const winners: Candidate[] = [];
    for (const [id, group] of groups) {
      if (group.length === 1) {
        winners.push(group[0] as Candidate);
        continue;
      }
      group.sort(
        (a, b) =>
          a.rank - b.rank ||
          semverRcompare(a.provider.meta.version, b.provider.meta.version) ||
          semverRcompare(a.pluginVersion, b.pluginVersion) ||
          a.order - b.order,
      );
      const [winner, ...shadowed] = group as [Candidate, ...Candidate[]];
      winners.push(winner);
      for (const candidate of shadowed) {
        state.problems.push({
          location: candidate.provider.manifest,
          source: candidate.provider.source,
          message:
            `provider "${id}" ${candidate.provider.meta.version} is shadowed by ${winner.provider.meta.version} from ` +
            `${winner.provider.manifest} (${winner.provider.source}); not registered`,
          field: "meta.id",
        });
      }
    }
    return winners
      .sort((a, b) => a.rank - b.rank || a.order - b.order)
      .map((candidate) => candidate.provider);
  }
}

/** Creates an {@link InfrastructurePluginDiscoverer}. */
export function createPluginDiscoverer(
  options: PluginDiscovererOptions = {},
): InfrastructurePluginDiscoverer {
  return new InfrastructurePluginDiscoverer(options);
}
