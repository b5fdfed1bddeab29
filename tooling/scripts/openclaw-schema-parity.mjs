#!/usr/bin/env node
// Runs under the host's Node 24 (it imports TypeScript test helpers, type-stripped): the parity
// property between core's zod config schema and the REAL OpenClaw validator of plugin config
// (`validateJsonSchemaValue` from `openclaw/plugin-sdk/json-schema-runtime`), over the committed
// `openclaw.plugin.json` configSchema. Usage: node openclaw-schema-parity.mjs <host dir> [runs]
// Prints one line per finding and a closing "schema parity: N runs, …" line; exit 1 on a violation.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const hostDir = resolve(process.argv[2] ?? join(root, ".cache/openclaw-e2e/host"));
const runs = Number(process.argv[3] ?? 2000);

const { validateJsonSchemaValue } = await import(
  pathToFileURL(join(hostDir, "node_modules/openclaw/dist/plugin-sdk/json-schema-runtime.js")).href
);
const core = await import(pathToFileURL(join(root, "packages/core/dist/index.js")).href);
const support = join(root, "packages/infrastructure/test/support");
const { configArbitrary } = await import(pathToFileURL(join(support, "configArbitraries.ts")).href);
const { parityViolation, tallyVerdict } = await import(pathToFileURL(join(support, "schemaParity.ts")).href);
const fc = createRequire(join(support, "configArbitraries.ts"))("fast-check");

const manifest = JSON.parse(readFileSync(join(root, "packages/infrastructure/openclaw.plugin.json"), "utf8"));
const schema = manifest.configSchema;

const hostAccepts = (value) =>
  validateJsonSchemaValue({ schema, value, cacheKey: "espada-infrastructure-parity", applyDefaults: true })
    .ok;
const tally = { zodAccepted: 0, structurallyRefused: 0, refinementOnly: 0 };

let failure;
try {
  fc.assert(
    fc.property(configArbitrary(schema), (value) => {
      const zod = core.infrastructureConfigSchema.safeParse(value);
      tallyVerdict(tally, zod);
      const violation = parityViolation(value, zod, hostAccepts(structuredClone(value)));
      if (violation !== null) throw new Error(violation);
    }),
    { numRuns: runs, seed: Number(process.env.PARITY_SEED ?? Date.now() % 2 ** 31) },
  );
} catch (error) {
  failure = error instanceof Error ? error.message : String(error);
}
// The samples a user writes: the defaults, and the spec's install example.
for (const sample of [{}, { enabled: true }, core.getDefaultInfrastructureConfig()]) {
  if (!hostAccepts(structuredClone(sample)))
    failure ??= `the host refuses a config zod accepts: ${JSON.stringify(sample).slice(0, 400)}`;
}
if (failure) console.log(failure.split("\n").slice(0, 30).join("\n"));
console.log(
  `schema parity: ${runs} runs against the host's validator; zod accepted ${tally.zodAccepted}, refused structurally ${tally.structurallyRefused}, refinement-only ${tally.refinementOnly}; ${failure ? "VIOLATION" : "no violation"}`,
);
process.exitCode = failure || tally.zodAccepted === 0 || tally.structurallyRefused === 0 ? 1 : 0;
