#!/usr/bin/env node
// Writes the host manifests (openclaw.plugin.json, espada.plugin.json) from the built package:
// the config schema from core's zod schema, id/name from the plugin object, version/description
// from package.json, tool names from what register() registers. `--check` writes nothing and exits 1 when a
// committed manifest differs from what would be written. Needs `pnpm build` first.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const { buildHostManifest, manifestText, MANIFEST_FILES } = await import(
  new URL("../dist/manifests.js", import.meta.url).href
);
const { default: plugin } = await import(new URL("../dist/index.js", import.meta.url).href);
const { registeredToolNames } = await import(new URL("../dist/manifests.js", import.meta.url).href);

const text = manifestText(
  buildHostManifest({
    id: plugin.id,
    name: plugin.name,
    description: pkg.description,
    version: pkg.version,
    toolNames: registeredToolNames(plugin),
  }),
);
let stale = 0;
for (const file of MANIFEST_FILES) {
  const path = join(pkgDir, file);
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === text) continue;
  if (check) {
    stale += 1;
    console.error(
      `${file} is out of date: run \`node packages/infrastructure/scripts/gen-manifests.mjs\` after \`pnpm build\``,
    );
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${file}`);
  }
}
if (check && stale === 0) console.log(`${MANIFEST_FILES.join(", ")} up to date`);
process.exitCode = stale === 0 ? 0 : 1;
