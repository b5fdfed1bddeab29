/**
 * A value built on first use that stands in for it: property reads and writes, `in`, `instanceof`
 * and key listing all reach the built value, and a method called on the stand-in runs with it as
 * `this`, which forwards again. Core's zod schemas are made this way, because constructing zod
 * schemas is most of what importing core would otherwise cost, and most importers (a provider built
 * with the SDK, a CLI printing help) never parse with most of them. The type is the built value's, so
 * nothing changes for a caller: `schema.safeParse(x)`, `schema.optional()` and nesting in another
 * schema work as on the real one.
 */
export function deferred<T extends object>(build: () => T): T {
  let built: T | undefined;
  const real = (): T => (built ??= build());
  return new Proxy({} as T, {
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
}
