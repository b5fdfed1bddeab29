// Core's schemas are built on first use (`deferred`; docs/decisions.md, "Stop 24"). Counted, never
// timed: zod's `$constructor` gives every schema and check its internals with
// `Object.defineProperty(instance, "_zod", …)`, once per instance, so counting those calls counts the
// zod instances a step builds. The first test runs the built package (`dist/`, its vendored zod) in a
// fresh process, as an importer meets it; needs `pnpm build` first.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { described } from "./described.js";
import type { SecurityPolicies, SecurityPoliciesInput } from "./securityPolicies.js";
import type { InfrastructureConfig, InfrastructureConfigInput } from "./schemas.js";

const builtCore = join(import.meta.dirname, "..", "..", "dist", "index.js");

/** The configuration `espada-infra status` parses in the bench workspace (tooling/bench/statusWorkspace.mjs): no policies. */
const STATUS_CONFIG = {
  providers: [{ id: "echo" }],
  discoveryConfig: { installedDirs: [], localDirs: ["plugins"] },
};

/** Source of a counter of zod instances, run before anything imports zod. */
const COUNTER = `
  const define = Object.defineProperty;
  globalThis.zodInstances = 0;
  Object.defineProperty = function (target, key, descriptor) {
    if (key === "_zod") globalThis.zodInstances += 1;
    return define(target, key, descriptor);
  };`;

interface Counts {
  readonly atImport: number;
  readonly byStatusParse: number;
  readonly statusParsed: boolean;
  /** Whether the parse ran core's vendored zod (`dist/vendor/libs.js`). */
  readonly zodLoaded: boolean;
  readonly byPoliciesSchema: number;
  readonly byRoleSchema: number;
}

/** Imports the built core in a fresh node, parses the status configuration, then touches the policy schemas. */
function countInFreshProcess(): Counts {
  const script = `${COUNTER}
    const count = () => globalThis.zodInstances;
    const core = await import(${JSON.stringify(builtCore)});
    const atImport = count();
    const statusParsed = core.validateInfrastructureConfig(${JSON.stringify(STATUS_CONFIG)}).success;
    const byStatusParse = count() - atImport;
    const zodLoaded = [...globalThis[Symbol.for("espada.cachedScripts")].keys()].some((path) => path.endsWith("libs.js"));
    let mark = count();
    void core.securityPoliciesSchema._zod;
    const byPoliciesSchema = count() - mark;
    mark = count();
    void core.roleSchema._zod;
    const byRoleSchema = count() - mark;
    process.stdout.write(JSON.stringify({ atImport, byStatusParse, statusParsed, zodLoaded, byPoliciesSchema, byRoleSchema }));`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as Counts;
}

describe("importing core builds no schema", () => {
  it("builds no zod instance at import, and parses the status config with its fast parser compiled at build time: no schema built, zod not loaded", () => {
    if (!existsSync(builtCore)) throw new Error(`${builtCore} is missing: run \`pnpm build\` first`);
    const counts = countInFreshProcess();
    expect(counts.atImport).toBe(0);
    expect(counts.statusParsed).toBe(true);
    expect(counts.byStatusParse).toBe(0);
    expect(counts.zodLoaded).toBe(false);
    // the counter works: touching a schema builds it now
    expect(counts.byPoliciesSchema).toBeGreaterThan(10);
    expect(counts.byRoleSchema).toBeGreaterThan(10);
  });
});

describe("securityConfig.policies is built only when present", () => {
  let zodInstances = 0;
  beforeEach(() => {
    // fresh copies of core's modules: nothing built by another test
    vi.resetModules();
    zodInstances = 0;
    const define = Object.defineProperty;
    vi.spyOn(Object, "defineProperty").mockImplementation((target, key, descriptor) => {
      if (key === "_zod") zodInstances += 1;
      return define(target, key, descriptor);
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("parsing a config without policies leaves the policy schemas unbuilt, in every tier", async () => {
    const { validateInfrastructureConfig, validateSecurityConfig } = await import("./validate.js");
    const policies = await import("./securityPolicies.js");
    expect(zodInstances).toBe(0);
    // past core's cold uses too (zod's JIT and the fast parser look at the whole schema)
    for (let i = 0; i < 20; i++) {
      expect(validateInfrastructureConfig(STATUS_CONFIG).success).toBe(true);
      expect(validateSecurityConfig({ audit: { enabled: false } }).success).toBe(true);
    }
    expect(zodInstances).toBeGreaterThan(0);
    const afterParses = zodInstances;
    void policies.securityPoliciesSchema._zod;
    expect(zodInstances).toBeGreaterThan(afterParses);
  });

  it("a config with policies gets what `securityPoliciesSchema.optional()` gives: data, issues, paths, JSON Schema", async () => {
    const { securityConfigSchema } = await import("./schemas.js");
    const { securityPoliciesSchema } = await import("./securityPolicies.js");
    const { validateSecurityConfig } = await import("./validate.js");
    // the schema as it was written before: the policies schema made optional directly
    const before = securityConfigSchema.extend({
      policies: described(
        securityPoliciesSchema.optional(),
        securityConfigSchema.shape.policies.description ?? "",
      ),
    });
    const inputs: unknown[] = [
      {},
      { policies: undefined },
      { policies: {} },
      { policies: null },
      { policies: [] },
      { policies: { roles: [] } },
      {
        policies: {
          roles: [{ id: "ops", permissions: ["infra:fly"] }, { id: "ops" }],
          assignments: [{ userId: "a", roleId: "ghost" }],
          timeWindows: [{ id: "w", start: "25:00", end: "10:00", timezone: "Mars/Base" }],
          blackouts: [{ id: "b", start: "2026-01-02T00:00:00Z", end: "2026-01-01T00:00:00Z" }],
          approvalChains: [{ id: "c", riskLevels: ["critical"], steps: [{ role: "admin" }] }],
          breakGlass: [{ environment: "prod", ticketPattern: "(" }],
          risk: { weights: { environment: 2 }, typo: 1 },
          typo: true,
        },
        typo: 1,
      },
      { policies: { roles: [{ id: "viewer", permissions: ["infra:read"] }], confirmAtRiskLevel: "extreme" } },
    ];
    for (const input of inputs) {
      for (const jitless of [true, false]) {
        const options = { reportInput: true, jitless };
        expect(securityConfigSchema.safeParse(input, options)).toEqual(before.safeParse(input, options));
      }
      const reference = before.safeParse(input);
      if (reference.success)
        expect(validateSecurityConfig(input)).toEqual({ success: true, data: reference.data });
      else expect(validateSecurityConfig(input).success).toBe(false);
    }
    const failed = validateSecurityConfig(inputs[6]);
    expect(failed.success ? [] : failed.errors.map((e) => e.path)).toContain("policies.roles[1].id");
    for (const io of ["input", "output"] as const) {
      expect(JSON.stringify(z.toJSONSchema(securityConfigSchema, { io, unrepresentable: "any" }))).toBe(
        JSON.stringify(z.toJSONSchema(before, { io, unrepresentable: "any" })),
      );
    }
  });

  it("keeps the types: what a user writes and what a parse gives are the policies schema's", () => {
    type Security = NonNullable<InfrastructureConfigInput["securityConfig"]>;
    expectTypeOf<Security["policies"]>().toEqualTypeOf<SecurityPoliciesInput | undefined>();
    expectTypeOf<InfrastructureConfig["securityConfig"]["policies"]>().toEqualTypeOf<
      SecurityPolicies | undefined
    >();
  });
});
