import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { types } from "node:util";

/**
 * Loads a provider's entry module from its absolute path and returns what `import()` returns.
 *
 * Where Node can `require()` an ES module (`process.features.require_module`: Node 20.19+, 22.12+),
 * an ES module entry is required: that evaluates it synchronously without Node's asynchronous ES
 * module loader (its resolver, loader and `fs/promises`), which is a tenth of a short CLI command
 * such as `espada-infra status`. The namespace is the same object `import()` gives (Node shares one
 * module map). An entry that `require()` cannot load as an ES module (top-level await), a CommonJS
 * entry (whose `import()` namespace has a `default` and the names Node detects), or an older Node
 * goes through `import()`; a CommonJS entry is then read from the cache `require()` filled.
 */
export async function loadEntryModule(path: string): Promise<unknown> {
  if (canRequireEsm()) {
    try {
      const loaded: unknown = createRequire(path)(path);
      if (types.isModuleNamespaceObject(loaded)) return loaded;
    } catch (error) {
      if (!hasCode(error, "ERR_REQUIRE_ASYNC_MODULE")) throw error;
    }
  }
  return import(pathToFileURL(path).href);
}

function canRequireEsm(): boolean {
  return (process.features as { readonly require_module?: boolean }).require_module === true;
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
