/** Stand-ins given an id, by id. */
const byId = new Map<string, object>();
/** The id of each stand-in given one. */
const ids = new WeakMap<object, string>();

/**
 * A value built on first use that stands in for it: property reads and writes, `in`, `instanceof`
 * and key listing all reach the built value, and a method called on the stand-in runs with it as
 * `this`, which forwards again. Core's zod schemas are made this way, because constructing zod
 * schemas is most of what importing core would otherwise cost, and most importers (a provider built
 * with the SDK, a CLI printing help) never parse with most of them. The type is the built value's, so
 * nothing changes for a caller: `schema.safeParse(x)`, `schema.optional()` and nesting in another
 * schema work as on the real one. A schema given an `id` (unique in the process, `<package>.<name>`)
 * gets a fast parser compiled at build time (`pnpm gen:fast-parsers`), which parses the common
 * valid input without building the schema or loading zod.
 */
export function deferred<T extends object>(build: () => T, id?: string): T {
  let built: T | undefined;
  const real = (): T => (built ??= build());
  const standIn = new Proxy({} as T, {
    get: (_target, key) => Reflect.get(real(), key),
    has: (_target, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      // A proxy may only report a property as non-configurable when its target has it too.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
    set: (_target, key, value) => Reflect.set(real(), key, value),
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(real(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(real(), key),
  });
  if (id !== undefined) {
    if (byId.has(id)) throw new TypeError(`deferred: the id "${id}" is already taken`);
    byId.set(id, standIn);
    ids.set(standIn, id);
  }
  return standIn;
}

/**
 * The id `value` was given as a stand-in by {@link deferred}, if any: how a parser compiled ahead
 * of time for a schema is found without building the schema (`./validation/precompiled.ts`).
 */
export function deferredId(value: object): string | undefined {
  return ids.get(value);
}

/** Every stand-in given an id so far in this process, by id (what the build precompiles). */
export function deferredById(): ReadonlyMap<string, object> {
  return byId;
}
