// Build step, run by tooling/scripts/vendorLibs.mjs in a child process: runs a package's
// `dist/vendor/libs.js` through its loader and prints the export names of each vendored library as
// JSON, with whether its default export is a function, from which the build writes the libraries'
// facades.
import { pathToFileURL } from "node:url";

const loader = process.argv[2];
if (loader === undefined) throw new Error("usage: vendorNames.mjs <dist/vendor/index.js>");
const { vendor } = await import(pathToFileURL(loader).href);
const names = Object.fromEntries(
  Object.entries(vendor).map(([key, namespace]) => [
    key,
    { names: Object.keys(namespace), callableDefault: typeof namespace.default === "function" },
  ]),
);
process.stdout.write(JSON.stringify(names));
