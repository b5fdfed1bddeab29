import {
  InfrastructureError,
  isInfrastructureError,
  isRecord,
  providerMetaSchema,
  tieredSafeParse,
  toError,
} from "@espada/infra-core";
import type {
  InfrastructureProvider,
  ProviderFactory,
  ProviderFactoryOptions,
  ProviderMeta,
} from "@espada/infra-core";

/** What a lazy factory needs: the manifest's meta, where the module is, and how to load it. */
export interface LazyFactorySpec {
  /** The meta the manifest declared (already parsed). */
  readonly meta: ProviderMeta;
  /** Export holding `{ meta, createProvider }`; default: the default export when it has `meta`, else the module. */
  readonly exportName?: string;
  /** Where the module is (a path or URL), for messages. */
  readonly location: string;
  /** Loads the module namespace (an `import()`); called on first use only. */
  readonly load: () => Promise<unknown>;
}

/**
 * A provider factory that imports its entry module on first use (never during discovery), checks
 * that the module's `meta` equals the manifest's and that it exports a `createProvider` function,
 * then delegates. A failed load is not cached, so a later call retries.
 * @throws `DISCOVERY_FAILED` naming the field (`meta.version`, `createProvider`) when the module does not match.
 */
export function createLazyFactory(spec: LazyFactorySpec): ProviderFactory {
  let loaded: Promise<ProviderFactory> | undefined;
  const load = async (): Promise<ProviderFactory> => {
    let namespace: unknown;
    try {
      namespace = await spec.load();
    } catch (error) {
      if (isInfrastructureError(error, "DISCOVERY_FAILED")) throw error;
      throw new InfrastructureError(
        "DISCOVERY_FAILED",
        `Provider "${spec.meta.id}": could not load ${spec.location}: ${toError(error).message}`,
        {
          cause: error,
          field: "entry",
        },
      );
    }
    return resolveExport(spec, namespace);
  };
  return async (options: ProviderFactoryOptions): Promise<InfrastructureProvider> => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    const create = await loaded;
    const provider = await create(options);
    const id = isRecord(provider) && isRecord(provider.meta) ? provider.meta.id : undefined;
    if (id !== spec.meta.id) {
      throw new InfrastructureError(
        "DISCOVERY_FAILED",
        `Provider "${spec.meta.id}": createProvider of ${spec.location} returned a provider whose meta.id is ${JSON.stringify(id)}`,
        { field: "meta.id" },
      );
    }
    return provider;
  };
}

function resolveExport(spec: LazyFactorySpec, namespace: unknown): ProviderFactory {
  const fail = (field: string, reason: string): InfrastructureError =>
    new InfrastructureError("DISCOVERY_FAILED", `Provider "${spec.meta.id}": ${spec.location} ${reason}`, {
      field,
    });
  if (!isRecord(namespace)) throw fail("entry", "did not load as a module");
  let target: unknown;
  if (spec.exportName !== undefined) {
    target = Object.hasOwn(namespace, spec.exportName) ? namespace[spec.exportName] : undefined;
    if (target === undefined) throw fail("export", `has no export "${spec.exportName}"`);
  } else {
    const fallback = namespace.default;
    target = isRecord(fallback) && "meta" in fallback ? fallback : namespace;
  }
  if (!isRecord(target)) throw fail("export", "does not export an object with meta and createProvider");
  const parsed = tieredSafeParse(providerMetaSchema, target.meta);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = ["meta", ...(first?.path ?? [])].join(".");
    throw fail(field, `exports an invalid meta (${field}: ${first?.message ?? "invalid"})`);
  }
  const difference = firstDifference(spec.meta, parsed.data);
  if (difference !== undefined) {
    throw fail(`meta.${difference}`, `exports a meta that differs from its manifest at meta.${difference}`);
  }
  const create = target.createProvider;
  if (typeof create !== "function") throw fail("createProvider", "does not export a createProvider function");
  return (options) => (create as ProviderFactory).call(target, options);
}

/** The first top-level meta key whose value differs (compared as JSON), or undefined when equal. */
function firstDifference(manifest: ProviderMeta, module: ProviderMeta): string | undefined {
  const keys = new Set([...Object.keys(manifest), ...Object.keys(module)]);
  for (const key of [...keys].sort()) {
    const a = JSON.stringify((manifest as Record<string, unknown>)[key]);
    const b = JSON.stringify((module as Record<string, unknown>)[key]);
    if (a !== b) return key;
  }
  return undefined;
}
