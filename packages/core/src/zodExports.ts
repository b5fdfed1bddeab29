// zod's exports as `@espada/infra-core/zod` declares them: the bundled copy leaves zod's locale
// namespace out at run time, so the declarations leave it out too (a use is a compile error, not
// `undefined`). A type of the same name shadows zod's export (a module's own export wins over
// `export *`); `./zod.ts` publishes this module, and its namespace as `z`.
export * from "zod";

/** Left out of the bundled copy (English, zod's default, is the only locale); not a value here. */
export type locales = never;

/** zod's own `z` (with its locales) is not re-exported: use this entry's `z`, this module's namespace. */
export type z = never;
