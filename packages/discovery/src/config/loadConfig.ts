import { readFileSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import { resolve } from "node:path";
import { LineCounter, isMap, isScalar, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import {
  formatPath,
  infrastructureConfigSchema,
  isRecord,
  safeParseInfrastructureConfig,
  toError,
} from "@espada/infra-core";
import type { InfrastructureConfig, ValidationIssue } from "@espada/infra-core";
import { describeIssues } from "../issues.js";
import { closestMatch } from "../suggest.js";
import { interpolateEnv } from "./interpolate.js";
import type { EnvironmentVariables } from "./interpolate.js";

/** The environment variable naming the config file. */
export const CONFIG_PATH_ENV = "ESPADA_INFRA_CONFIG";
/** The command-line flag naming the config file (`--config path` or `--config=path`). */
export const CONFIG_PATH_FLAG = "--config";
/** File names looked for in the working directory when no path is given. */
export const DEFAULT_CONFIG_FILES = ["espada.yaml", "espada.yml"] as const;
/** Largest config file read, in bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Where the framework's block sits in `espada.yaml`. */
export const CONFIG_BLOCK_PATH = ["extensions", "infrastructure"] as const;

/** A configuration problem: core's issue plus where it is in the file and a suggestion for a typo. */
export interface ConfigIssue extends ValidationIssue {
  /** The file, for problems found in one. */
  readonly file?: string;
  /** 1-based line in the file. */
  readonly line?: number;
  /** 1-based column in the file. */
  readonly column?: number;
  /** For an unknown key: the closest valid key. */
  readonly suggestion?: string;
}

/** Where a configuration came from. */
export type ConfigSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "host" }
  | { readonly kind: "defaults"; readonly searched: readonly string[] };

/** The outcome of loading a configuration: the validated config with defaults, or every problem. */
export type ConfigLoadResult =
  | {
      readonly success: true;
      readonly config: InfrastructureConfig;
      readonly source: ConfigSource;
      readonly warnings: readonly ConfigIssue[];
    }
  | {
      readonly success: false;
      readonly errors: readonly ConfigIssue[];
      readonly source: ConfigSource;
      readonly warnings: readonly ConfigIssue[];
    };

/** Options naming the config file. */
export interface ConfigPathOptions {
  /** An explicit path (wins over the flag and the environment). */
  readonly path?: string;
  /** Command-line arguments searched for `--config`. */
  readonly argv?: readonly string[];
  /** Environment (default `process.env`): `ESPADA_INFRA_CONFIG`, and the values `${VAR}` reads. */
  readonly env?: EnvironmentVariables;
  /** Base of relative paths (default `process.cwd()`). */
  readonly cwd?: string;
}

/** Which file to read and why. */
export interface ResolvedConfigPath {
  /** Absolute candidates, in order (one when the path was given). */
  readonly candidates: readonly string[];
  /** Given by option, flag or environment: a missing file is then an error. */
  readonly explicit: boolean;
  readonly from: "option" | "flag" | "env" | "default";
}

/**
 * Picks the config file: `path` option, else `--config <path>` / `--config=<path>` in `argv`, else
 * `$ESPADA_INFRA_CONFIG`, else `espada.yaml` (then `espada.yml`) in `cwd`.
 */
export function resolveConfigPath(options: ConfigPathOptions = {}): ResolvedConfigPath {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (options.path !== undefined && options.path !== "")
    return { candidates: [resolve(cwd, options.path)], explicit: true, from: "option" };
  const argv = options.argv ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === CONFIG_PATH_FLAG && argv[i + 1] !== undefined && argv[i + 1] !== "") {
      return { candidates: [resolve(cwd, argv[i + 1] ?? "")], explicit: true, from: "flag" };
    }
    if (arg.startsWith(`${CONFIG_PATH_FLAG}=`) && arg.length > CONFIG_PATH_FLAG.length + 1) {
      return {
        candidates: [resolve(cwd, arg.slice(CONFIG_PATH_FLAG.length + 1))],
        explicit: true,
        from: "flag",
      };
    }
  }
  const fromEnv = Object.hasOwn(env, CONFIG_PATH_ENV) ? env[CONFIG_PATH_ENV] : undefined;
  if (fromEnv !== undefined && fromEnv !== "")
    return { candidates: [resolve(cwd, fromEnv)], explicit: true, from: "env" };
  return {
    candidates: DEFAULT_CONFIG_FILES.map((name) => resolve(cwd, name)),
    explicit: false,
    from: "default",
  };
}

/**
 * Standalone mode: reads `espada.yaml` (see {@link resolveConfigPath}), takes its
 * `extensions.infrastructure` block, interpolates `${VAR}` and validates it with core's schema and
 * defaults. No file at the default location means the defaults; a missing explicit file is an
 * error. Never throws; errors name the YAML path, line and column. A loaded `config` is frozen and
 * branded by core as validated (`isValidatedInfrastructureConfig`), so the framework does not parse
 * it again.
 */
export function loadInfrastructureConfig(options: ConfigPathOptions = {}): Promise<ConfigLoadResult> {
  // In a callback, so anything unexpected is still a rejection, never a synchronous throw.
  return Promise.resolve(options).then(loadConfigFile);
}

/**
 * The work of {@link loadInfrastructureConfig}, with synchronous reads: one small file (at most
 * {@link MAX_CONFIG_BYTES}), where each promise-based call (`stat`, then `readFile`'s open, fstat,
 * read and close) is a round trip through the thread pool that a CLI start waits on.
 */
function loadConfigFile(options: ConfigPathOptions): ConfigLoadResult {
  const env = options.env ?? process.env;
  const where = resolveConfigPath(options);
  for (const file of where.candidates) {
    let info: Stats | undefined;
    try {
      // A missing file is the usual case of a default candidate: undefined, not an exception.
      info = statSync(file, { throwIfNoEntry: false });
    } catch (error) {
      return failure({ kind: "file", path: file }, [
        {
          code: "NOT_FOUND",
          message: `config file could not be read: ${toError(error).message} (from ${where.from})`,
          file,
        },
      ]);
    }
    if (info === undefined) {
      if (!where.explicit) continue;
      return failure({ kind: "file", path: file }, [
        { code: "NOT_FOUND", message: `config file does not exist (from ${where.from})`, file },
      ]);
    }
    if (!info.isFile())
      return failure({ kind: "file", path: file }, [
        { code: "INVALID_VALUE", message: "config path is not a file", file },
      ]);
    if (info.size > MAX_CONFIG_BYTES) {
      return failure({ kind: "file", path: file }, [
        { code: "TOO_BIG", message: `config file is larger than ${MAX_CONFIG_BYTES} bytes`, file },
      ]);
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      return failure({ kind: "file", path: file }, [
        { code: "NOT_FOUND", message: `config file could not be read: ${toError(error).message}`, file },
      ]);
    }
    return parseInfrastructureConfigYaml(text, { env, file });
  }
  return validateBlock({}, env, { source: { kind: "defaults", searched: where.candidates }, base: [] });
}

/** Options of {@link parseInfrastructureConfigYaml}. */
export interface YamlConfigOptions {
  readonly env?: EnvironmentVariables;
  /** File name used in issues (default `espada.yaml`). */
  readonly file?: string;
}

/** Parses the text of an `espada.yaml` and validates its `extensions.infrastructure` block (see {@link loadInfrastructureConfig}). */
export function parseInfrastructureConfigYaml(
  text: string,
  options: YamlConfigOptions = {},
): ConfigLoadResult {
  const file = options.file ?? "espada.yaml";
  const source: ConfigSource = { kind: "file", path: file };
  const env = options.env ?? process.env;
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (error) {
    return failure(source, [
      { code: "INVALID_FORMAT", message: `not valid YAML: ${toError(error).message}`, file },
    ]);
  }
  const at = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    return failure(
      source,
      doc.errors.map((error) => ({
        code: "INVALID_FORMAT",
        message: `not valid YAML: ${firstLine(error.message)}`,
        file,
        ...at(error.pos[0]),
      })),
    );
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return failure(source, [
      { code: "INVALID_FORMAT", message: `not valid YAML: ${firstLine(toError(error).message)}`, file },
    ]);
  }
  const locate = (segments: readonly PropertyKey[]): { line?: number; column?: number } =>
    at(findOffset(doc, segments));
  const warnings: ConfigIssue[] = [];
  if (root === null || root === undefined)
    return validateBlock({}, env, { source, base: [], file, locate, warnings });
  if (!isRecord(root))
    return failure(source, [
      { code: "TYPE_MISMATCH", message: "the file must be a mapping (extensions: …)", file, ...locate([]) },
    ]);
  if (!Object.hasOwn(root, "extensions")) {
    const near = closestMatch("extensions", Object.keys(root));
    if (near !== undefined) warnings.push(typoWarning(near, "extensions", [near], file, locate));
    return validateBlock({}, env, { source, base: [...CONFIG_BLOCK_PATH], file, locate, warnings });
  }
  const extensions = root.extensions;
  if (extensions === null || extensions === undefined)
    return validateBlock({}, env, { source, base: [...CONFIG_BLOCK_PATH], file, locate, warnings });
  if (!isRecord(extensions)) {
    return failure(source, [
      {
        code: "TYPE_MISMATCH",
        message: "must be a mapping of extension ids",
        path: "extensions",
        file,
        ...locate(["extensions"]),
      },
    ]);
  }
  if (!Object.hasOwn(extensions, "infrastructure")) {
    const near = closestMatch("infrastructure", Object.keys(extensions));
    if (near !== undefined)
      warnings.push(typoWarning(near, "infrastructure", ["extensions", near], file, locate));
  }
  const block = Object.hasOwn(extensions, "infrastructure") ? extensions.infrastructure : undefined;
  return validateBlock(block ?? {}, env, { source, base: [...CONFIG_BLOCK_PATH], file, locate, warnings });
}

/** Options of {@link resolveHostConfig}. */
export interface HostConfigOptions {
  readonly env?: EnvironmentVariables;
  /** Path prefix of the block in the host's config, for messages (default: none). */
  readonly pathPrefix?: string;
}

/**
 * Inside Espada: validates the plugin config object the host hands over, through the same
 * interpolation, schema and defaults as a file. `undefined`/`null` gives the defaults. Never throws.
 */
export function resolveHostConfig(hostConfig: unknown, options: HostConfigOptions = {}): ConfigLoadResult {
  const base =
    options.pathPrefix === undefined || options.pathPrefix === "" ? [] : options.pathPrefix.split(".");
  return validateBlock(hostConfig ?? {}, options.env ?? process.env, { source: { kind: "host" }, base });
}

/** One line for a person: `espada.yaml:12:7 extensions.infrastructure.sessionConfig.tmeout: unknown configuration key "tmeout"; did you mean "timeout"?`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where =
    issue.file === undefined
      ? ""
      : `${issue.file}${issue.line === undefined ? "" : `:${issue.line}:${issue.column ?? 1}`} `;
  const path = issue.path === undefined ? "" : `${issue.path}: `;
  return `${where}${path}${issue.message}`;
}

interface BlockContext {
  readonly source: ConfigSource;
  readonly base: readonly string[];
  readonly file?: string;
  readonly locate?: (segments: readonly PropertyKey[]) => { line?: number; column?: number };
  readonly warnings?: ConfigIssue[];
}

function validateBlock(block: unknown, env: EnvironmentVariables, context: BlockContext): ConfigLoadResult {
  const warnings = context.warnings ?? [];
  const basePath = formatPath(context.base);
  const decorate = (segments: readonly PropertyKey[]): Partial<ConfigIssue> => ({
    ...(context.file === undefined ? {} : { file: context.file }),
    ...(context.locate === undefined ? {} : context.locate([...context.base, ...segments])),
  });
  const errors: ConfigIssue[] = [];
  let interpolated: unknown;
  try {
    const result = interpolateEnv(block, env);
    interpolated = result.value;
    for (const issue of result.issues) {
      const path = formatPath(issue.segments, basePath);
      errors.push({
        code: issue.code,
        message: issue.message,
        ...(path === "" ? {} : { path }),
        ...decorate(issue.segments),
      });
    }
    // core's parse brands the config it validated, so the framework it is handed to does not parse it again
    const parsed = safeParseInfrastructureConfig(interpolated);
    if (parsed.success && errors.length === 0)
      return { success: true, config: parsed.data, source: context.source, warnings };
    if (!parsed.success) {
      for (const issue of describeIssues(infrastructureConfigSchema, parsed.error.issues, basePath)) {
        const { segments, ...plain } = issue;
        errors.push({ ...plain, ...decorate(segments) });
      }
    }
  } catch (error) {
    // Only reachable with hostile host input (a throwing getter or proxy): still a result.
    errors.push({
      code: "UNREADABLE",
      message: `configuration could not be read: ${toError(error).message}`,
      ...(basePath === "" ? {} : { path: basePath }),
    });
  }
  return { success: false, errors, source: context.source, warnings };
}

function failure(source: ConfigSource, errors: ConfigIssue[]): ConfigLoadResult {
  return { success: false, errors, source, warnings: [] };
}

function typoWarning(
  found: string,
  expected: string,
  segments: readonly PropertyKey[],
  file: string,
  locate: (segments: readonly PropertyKey[]) => { line?: number; column?: number },
): ConfigIssue {
  return {
    code: "UNKNOWN_KEY",
    message: `"${found}" is not read; did you mean "${expected}"?`,
    path: formatPath(segments),
    suggestion: expected,
    file,
    ...locate(segments),
  };
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0] ?? message;
}

/** Offset of the deepest YAML node on `segments` (a key node when the last segment is a key of a map). */
function findOffset(doc: Document.Parsed, segments: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) return offset;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
      continue;
    }
    const items = (node as { items?: unknown } | null)?.items;
    if (typeof segment === "number" && Array.isArray(items)) {
      node = items[segment];
      offset = rangeStart(node) ?? offset;
      continue;
    }
    return offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
