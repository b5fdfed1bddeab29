/**
 * @espada/infra-core/zod — the one copy of zod every published `@espada/*` package runs on. The
 * build (`tooling/scripts/bundle-entries.mjs`) bundles zod into core's `dist/vendor/` as one script
 * run from a V8 code cache, and points every `import … from "zod"` of our packages' built files here,
 * so a process loads one script instead of zod's ~95 modules; sources and declarations keep importing
 * `zod`. `z.locales` and
 * `z.core.locales` are left out (English is zod's default and the only locale our messages use);
 * the declarations leave out `locales` and `z.locales` too, so a use is a compile error rather than
 * `undefined` (`z.core.locales` is still declared: re-declaring zod's core namespace would take an
 * import of a zod subpath, which the build refuses).
 * A provider keeps importing `zod` itself: the two copies interoperate (zod 4 checks `instanceof`
 * by traits and keeps its configuration and registry on `globalThis`), so its schemas work in
 * `defineCommand`, configuration sections and errors as ours do.
 * @packageDocumentation
 */
export * from "./zodExports.js";
export * as z from "./zodExports.js";
