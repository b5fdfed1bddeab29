import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDefaultInfrastructureConfig, infrastructureConfigSchema } from "@espada/infra-core";
import { tempDir, writeFiles } from "../../test/fixtures.js";
import {
  formatConfigIssue,
  loadInfrastructureConfig,
  parseInfrastructureConfigYaml,
  resolveConfigPath,
  resolveHostConfig,
} from "./loadConfig.js";
import { interpolateEnv } from "./interpolate.js";

let dir: string;
let remove: () => void;
beforeEach(() => {
  ({ dir, remove } = tempDir("espada-config-"));
});
afterEach(() => remove());

const SPEC_YAML = `
# espada.yaml
gateway: { port: 18789 }        # the host's own keys are not ours to check
extensions:
  other-extension: { anything: true }
  infrastructure:
    enabled: true
    providers:
      - id: my-cloud
        enabled: true
        auth:
          method: api-key
          credentials:
            apiKey: "\${MY_API_KEY}"
        settings: {}
    defaultProvider: my-cloud
    sessionConfig:
      timeout: 3600000
      maxConcurrent: 10
    loggingConfig:
      level: debug
`;

describe("loading espada.yaml", () => {
  it("reads the extensions.infrastructure block, interpolates ${VAR} and fills in the defaults", async () => {
    writeFiles(dir, { "espada.yaml": SPEC_YAML });
    const result = await loadInfrastructureConfig({ cwd: dir, env: { MY_API_KEY: "s3cret" } });
    expect(result).toMatchObject({
      success: true,
      source: { kind: "file", path: join(dir, "espada.yaml") },
      warnings: [],
    });
    if (!result.success) return;
    expect(result.config.providers[0]?.auth?.credentials).toEqual({ apiKey: "s3cret" });
    expect(result.config.loggingConfig.level).toBe("debug");
    expect(result.config.commandConfig).toEqual(getDefaultInfrastructureConfig().commandConfig);
  });

  it("gives the same config for the same block handed over by the host", async () => {
    writeFiles(dir, { "espada.yaml": SPEC_YAML });
    const env = { MY_API_KEY: "s3cret" };
    const fromFile = await loadInfrastructureConfig({ cwd: dir, env });
    const fromHost = resolveHostConfig(
      {
        enabled: true,
        providers: [
          {
            id: "my-cloud",
            enabled: true,
            auth: { method: "api-key", credentials: { apiKey: "${MY_API_KEY}" } },
            settings: {},
          },
        ],
        defaultProvider: "my-cloud",
        sessionConfig: { timeout: 3600000, maxConcurrent: 10 },
        loggingConfig: { level: "debug" },
      },
      { env },
    );
    expect(fromHost.success && fromFile.success && fromHost.config).toEqual(
      fromFile.success && fromFile.config,
    );
    expect(resolveHostConfig(undefined, { env: {} })).toMatchObject({
      success: true,
      config: getDefaultInfrastructureConfig(),
      source: { kind: "host" },
    });
  });

  it("names a missing variable and its YAML path, never a value", () => {
    const result = parseInfrastructureConfigYaml(SPEC_YAML, { env: { OTHER: "s3cret" } });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.errors).toEqual([
      {
        code: "MISSING_ENV_VAR",
        message: "refers to environment variable MY_API_KEY, which is not set",
        path: "extensions.infrastructure.providers[0].auth.credentials.apiKey",
        file: "espada.yaml",
        line: 14,
        column: 13,
      },
    ]);
    expect(JSON.stringify(result)).not.toContain("s3cret");
  });

  it("suggests the closest valid key for a typo and points at its line", () => {
    const yaml = [
      "extensions:",
      "  infrastructure:",
      "    sessionConfig:",
      "      tmeout: 5",
      "    sesionConfig: {}",
      "    commandConfig:",
      "      execution:",
      "        maxRetries: many",
    ].join("\n");
    const result = parseInfrastructureConfigYaml(yaml, { env: {} });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: "UNKNOWN_KEY",
          path: "extensions.infrastructure.sessionConfig.tmeout",
          suggestion: "timeout",
          line: 4,
          column: 7,
        }),
        expect.objectContaining({
          code: "UNKNOWN_KEY",
          path: "extensions.infrastructure.sesionConfig",
          suggestion: "sessionConfig",
          line: 5,
        }),
        expect.objectContaining({
          code: "TYPE_MISMATCH",
          path: "extensions.infrastructure.commandConfig.execution.maxRetries",
          line: 8,
        }),
      ]),
    );
    const typo = result.errors.find((e) => e.suggestion === "timeout")!;
    expect(formatConfigIssue(typo)).toBe(
      'espada.yaml:4:7 extensions.infrastructure.sessionConfig.tmeout: unknown configuration key "tmeout"; did you mean "timeout"?',
    );
    expect(result.errors).toHaveLength(3);
  });

  it("warns about a near miss of the block's own name, and reports YAML syntax errors with their line", () => {
    const near = parseInfrastructureConfigYaml("extensions:\n  infrastucture:\n    enabled: false\n", {
      env: {},
    });
    expect(near).toMatchObject({
      success: true,
      warnings: [
        {
          code: "UNKNOWN_KEY",
          path: "extensions.infrastucture",
          suggestion: "infrastructure",
          line: 2,
          column: 3,
        },
      ],
    });
    const broken = parseInfrastructureConfigYaml("extensions:\n  infrastructure:\n    enabled: [true\n", {
      env: {},
    });
    expect(broken).toMatchObject({
      success: false,
      errors: [expect.objectContaining({ code: "INVALID_FORMAT" })],
    });
    const duplicate = parseInfrastructureConfigYaml(
      "extensions:\n  infrastructure: {}\n  infrastructure: {}\n",
      { env: {} },
    );
    expect(duplicate).toMatchObject({
      success: false,
      errors: [expect.objectContaining({ code: "INVALID_FORMAT", line: 3 })],
    });
    const notAMap = parseInfrastructureConfigYaml("- a\n- b\n", { env: {} });
    expect(notAMap).toMatchObject({
      success: false,
      errors: [expect.objectContaining({ code: "TYPE_MISMATCH" })],
    });
    const billion = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 8 },
        (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(", ")}]`,
      ),
    ].join("\n");
    expect(parseInfrastructureConfigYaml(billion, { env: {} })).toMatchObject({
      success: false,
      errors: [expect.objectContaining({ code: "INVALID_FORMAT" })],
    });
    expect(parseInfrastructureConfigYaml("", { env: {} })).toMatchObject({
      success: true,
      config: getDefaultInfrastructureConfig(),
    });
  });

  it("finds the file from an option, a flag, the environment or the working directory", async () => {
    const env = { ESPADA_INFRA_CONFIG: "from-env.yaml" };
    expect(
      resolveConfigPath({ cwd: dir, path: "opt.yaml", argv: ["--config", "flag.yaml"], env }),
    ).toMatchObject({ candidates: [join(dir, "opt.yaml")], from: "option" });
    expect(
      resolveConfigPath({ cwd: dir, argv: ["node", "cli", "--config", "flag.yaml"], env }),
    ).toMatchObject({ candidates: [join(dir, "flag.yaml")], from: "flag" });
    expect(resolveConfigPath({ cwd: dir, argv: ["--config=eq.yaml"], env })).toMatchObject({
      candidates: [join(dir, "eq.yaml")],
      explicit: true,
    });
    expect(resolveConfigPath({ cwd: dir, argv: [], env })).toMatchObject({
      candidates: [join(dir, "from-env.yaml")],
      from: "env",
    });
    expect(resolveConfigPath({ cwd: dir, env: {} })).toEqual({
      candidates: [join(dir, "espada.yaml"), join(dir, "espada.yml")],
      explicit: false,
      from: "default",
    });

    expect(await loadInfrastructureConfig({ cwd: dir, env: {} })).toMatchObject({
      success: true,
      source: { kind: "defaults" },
    });
    expect(await loadInfrastructureConfig({ cwd: dir, env })).toMatchObject({
      success: false,
      errors: [
        expect.objectContaining({
          code: "NOT_FOUND",
          file: join(dir, "from-env.yaml"),
          message: expect.stringMatching(/does not exist \(from env\)/),
        }),
      ],
    });
    writeFiles(dir, { "espada.yml": "extensions:\n  infrastructure:\n    enabled: false\n" });
    expect(await loadInfrastructureConfig({ cwd: dir, env: {} })).toMatchObject({
      success: true,
      config: { enabled: false },
      source: { path: join(dir, "espada.yml") },
    });
    writeFiles(dir, { "big.yaml": `# ${"x".repeat(1024 * 1024)}` });
    expect(await loadInfrastructureConfig({ cwd: dir, path: "big.yaml", env: {} })).toMatchObject({
      success: false,
      errors: [expect.objectContaining({ code: "TOO_BIG" })],
    });
  });

  it("never throws and never leaks a value, for hostile host objects", () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("no keys for you");
        },
      },
    );
    expect(resolveHostConfig(hostile, { env: {} })).toMatchObject({
      success: false,
      errors: [expect.objectContaining({ code: "UNREADABLE" })],
    });
    const cyclic: Record<string, unknown> = { providers: [] };
    cyclic.self = cyclic;
    expect(resolveHostConfig(cyclic, { env: {} })).toMatchObject({ success: false });
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })),
        (value, env) => {
          const result = resolveHostConfig(value, { env });
          if (!result.success) for (const error of result.errors) expect(typeof error.message).toBe("string");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("interpolateEnv", () => {
  it("replaces references, keeps $${escapes} literal and reports bad references by name", () => {
    const { value, issues } = interpolateEnv(
      {
        a: "x-${A}-${B}",
        b: ["$${A}", "${ A }", "${UNSET}", "tail ${"],
        n: 3,
        nested: JSON.parse('{"__proto__":"${A}"}') as unknown,
      },
      { A: "1", B: "2" },
    );
    expect(value).toMatchObject({ a: "x-1-2", b: ["${A}", "${ A }", "${UNSET}", "tail ${"], n: 3 });
    const nested = (value as { nested: object }).nested;
    expect(Object.getOwnPropertyDescriptor(nested, "__proto__")?.value).toBe("1");
    expect(Object.getPrototypeOf(nested)).toBe(Object.prototype);
    expect(issues.map((i) => [i.code, i.segments.join("."), i.variable])).toEqual([
      ["INVALID_FORMAT", "b.1", undefined],
      ["MISSING_ENV_VAR", "b.2", "UNSET"],
      ["INVALID_FORMAT", "b.3", undefined],
    ]);
  });

  it("is the identity on strings without references (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value) ?? "null";
        const clean = JSON.parse(text.replaceAll("${", "$ {")) as unknown;
        const result = interpolateEnv(clean, {});
        expect(result.issues).toEqual([]);
        expect(result.value).toEqual(clean);
      }),
      { numRuns: 300 },
    );
  });

  it("never leaves a resolved value unreplaced and never echoes a value in an issue (property)", () => {
    const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.string({ minLength: 1, maxLength: 10 })), { maxLength: 5 }),
        (pairs) => {
          const env = Object.fromEntries(pairs);
          const text = Object.keys(env)
            .map((k) => `<\${${k}}>`)
            .join("");
          const result = interpolateEnv(text, env);
          expect(result.value).toBe(
            Object.keys(env)
              .map((k) => `<${env[k]}>`)
              .join(""),
          );
          expect(result.issues).toEqual([]);
        },
      ),
    );
  });
});

describe("the schema the loader uses", () => {
  it("is core's", () => {
    expect(resolveHostConfig({}, { env: {} })).toEqual({
      success: true,
      config: infrastructureConfigSchema.parse({}),
      source: { kind: "host" },
      warnings: [],
    });
  });
});
