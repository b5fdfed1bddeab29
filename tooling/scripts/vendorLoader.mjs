// The libraries a package inlines, as `#vendor` (package.json `imports`). The build
// (tooling/scripts/vendorLibs.mjs) copies this file to the package's `dist/vendor/index.js` and writes
// its CommonJS copy `dist/vendor/index.cjs` (`#vendor` to the package's `require()`), beside `libs.js`
// (the libraries bundled as one function) and its V8 code cache `libs.v8-cache`. Both run the script
// once per process from that cache through `../runtime/cachedScript.cjs`, required (see
// `requireLoaderLine` in packageCode.mjs).
const { runCachedScript } = process.getBuiltinModule("node:module").createRequire(import.meta.url)(
  "../runtime/cachedScript.cjs",
);

const libs = runCachedScript(new URL("./libs.js", import.meta.url));

/** The vendored libraries' module namespaces (`v0`, `v1`, … in the order the build lists them). */
export const vendor = libs.exports;

/** Whether V8 compiled the libraries from the shipped code cache. */
export const codeCacheUsed = libs.codeCacheUsed;
