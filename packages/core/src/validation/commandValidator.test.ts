import { describe, expect, it } from "vitest";
import { commandDefinitionSchema } from "../commands.js";
import type { CommandDefinition } from "../commands.js";
import { createExecutionContext } from "../commands.js";
import { isInfrastructureError } from "../errors.js";
import {
  dangerousCommandCheck,
  dryRunCheck,
  requiredParams,
  sensitiveParams,
  typeCheck,
} from "./builtins.js";
import { InfrastructureCommandValidator, isValidatedCall } from "./commandValidator.js";
import { redactParams } from "./redact.js";
import type { CommandValidatorInput } from "./types.js";

function command(partial: Partial<Record<keyof CommandDefinition, unknown>> = {}): CommandDefinition {
  return commandDefinitionSchema.parse({
    id: "create-instance",
    name: "Create Instance",
    category: "provision",
    ...partial,
  });
}

const createInstance = command({
  supportsDryRun: true,
  parameters: [
    { name: "name", type: "string", required: true, pattern: "^[a-z][a-z0-9-]*$", max: 20 },
    { name: "region", type: "string", required: true, enum: ["us-east-1", "eu-west-1"] },
    { name: "cpu", type: "number", default: 2, min: 1, max: 64 },
    { name: "memory", type: "number", default: 4 },
    { name: "dryRun", type: "boolean" },
    { name: "apiKey", type: "secret" },
  ],
});

const codes = (issues: readonly { code: string; path?: string }[]) => issues.map((i) => [i.code, i.path]);

describe("InfrastructureCommandValidator.validate", () => {
  const validator = new InfrastructureCommandValidator();

  it("accepts valid params and fills defaults without coercion", () => {
    const result = validator.validate(createInstance, { name: "web-1", region: "us-east-1", cpu: 8 });
    expect(result).toStrictEqual({
      valid: true,
      errors: [],
      warnings: [],
      params: { name: "web-1", region: "us-east-1", cpu: 8, memory: 4 },
      redactedParams: { name: "web-1", region: "us-east-1", cpu: 8, memory: 4 },
      validated: {
        command: createInstance,
        params: { name: "web-1", region: "us-east-1", cpu: 8, memory: 4 },
        dryRun: false,
        confirmed: false,
        config: validator.config,
      },
    });
  });

  it("reports every violation with its path, not just the first", () => {
    const result = validator.validate(createInstance, {
      name: "Web_1-with-a-very-long-name",
      cpu: 0,
      memory: "4",
      extra: true,
    });
    expect(result.valid).toBe(false);
    expect(codes(result.errors)).toStrictEqual([
      ["REQUIRED", "params.region"],
      ["TOO_BIG", "params.name"],
      ["PATTERN_MISMATCH", "params.name"],
      ["TOO_SMALL", "params.cpu"],
      ["TYPE_MISMATCH", "params.memory"],
      ["UNKNOWN_PARAM", "params.extra"],
    ]);
  });

  it("treats null as absent: required fails, defaults apply", () => {
    const result = validator.validate(createInstance, { name: null, region: "eu-west-1", cpu: null });
    expect(codes(result.errors)).toStrictEqual([["REQUIRED", "params.name"]]);
    expect(result.params).toStrictEqual({ region: "eu-west-1", cpu: 2, memory: 4 });
  });

  it("rejects params that are not an object and still reports missing required ones", () => {
    for (const params of [5, "x", [1, 2], true]) {
      const result = validator.validate(createInstance, params);
      expect(codes(result.errors)).toStrictEqual([
        ["REQUIRED", "params.name"],
        ["REQUIRED", "params.region"],
        ["TYPE_MISMATCH", "params"],
      ]);
      expect(result.params).toStrictEqual({ cpu: 2, memory: 4 });
    }
    expect(validator.validate(command(), undefined).valid).toBe(true);
  });

  it("does not read inherited properties as params", () => {
    const cmd = command({ parameters: [{ name: "toString", type: "string", required: true }] });
    expect(codes(validator.validate(cmd, {}).errors)).toStrictEqual([["REQUIRED", "params.toString"]]);
  });

  it("clones object defaults so a provider cannot corrupt the definition", () => {
    const cmd = command({ parameters: [{ name: "tags", type: "array", items: "string", default: ["a"] }] });
    const first = validator.validate(cmd, {}).params.tags as string[];
    first.push("mutated");
    expect(validator.validate(cmd, {}).params.tags).toStrictEqual(["a"]);
  });

  it("keeps a __proto__ param as data, never as a prototype", () => {
    const lenient = new InfrastructureCommandValidator({ strict: false });
    const params = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const result = lenient.validate(command(), params);
    expect(Object.getPrototypeOf(result.params)).toBe(Object.prototype);
    expect(Object.hasOwn(result.params, "__proto__")).toBe(true);
    expect((result.params as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("parameter types", () => {
  const validator = new InfrastructureCommandValidator();
  const check = (parameter: Record<string, unknown>, value: unknown) =>
    codes(validator.validate(command({ parameters: [{ name: "p", ...parameter }] }), { p: value }).errors);

  it("string, number, boolean, object", () => {
    expect(check({ type: "string" }, "x")).toStrictEqual([]);
    expect(check({ type: "string" }, 1)).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
    expect(check({ type: "number" }, 1.5)).toStrictEqual([]);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, "1", 1n])
      expect(check({ type: "number" }, bad)).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
    expect(check({ type: "boolean" }, false)).toStrictEqual([]);
    expect(check({ type: "boolean" }, "true")).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
    expect(check({ type: "object" }, { a: 1 })).toStrictEqual([]);
    for (const bad of [[], "x", 1])
      expect(check({ type: "object" }, bad)).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
  });

  it("array with items, length bounds, per-item enum and pattern", () => {
    expect(check({ type: "array", items: "number" }, [1, 2])).toStrictEqual([]);
    expect(check({ type: "array", items: "number" }, [1, "2", 3, null])).toStrictEqual([
      ["TYPE_MISMATCH", "params.p[1]"],
      ["TYPE_MISMATCH", "params.p[3]"],
    ]);
    expect(check({ type: "array", min: 2, max: 3 }, [1])).toStrictEqual([["TOO_SMALL", "params.p"]]);
    expect(check({ type: "array", min: 2, max: 3 }, [1, 2, 3, 4])).toStrictEqual([["TOO_BIG", "params.p"]]);
    expect(check({ type: "array", items: "string", enum: ["a", "b"] }, ["a", "c"])).toStrictEqual([
      ["NOT_IN_ENUM", "params.p[1]"],
    ]);
    expect(check({ type: "array", items: "string", pattern: "^x" }, ["xa", "ya"])).toStrictEqual([
      ["PATTERN_MISMATCH", "params.p[1]"],
    ]);
    expect(check({ type: "array" }, { 0: "a" })).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
  });

  it("file: a path string without NUL that does not escape with ..", () => {
    for (const ok of ["a.txt", "dir/../b.txt", "./x", "/etc/../abs", "C:\\data\\x", "a/b/../../c"])
      expect(check({ type: "file" }, ok)).toStrictEqual([]);
    expect(check({ type: "file" }, "../secret")).toStrictEqual([["PATH_TRAVERSAL", "params.p"]]);
    expect(check({ type: "file" }, "a/../../b")).toStrictEqual([["PATH_TRAVERSAL", "params.p"]]);
    expect(check({ type: "file" }, "a\\..\\..\\b")).toStrictEqual([["PATH_TRAVERSAL", "params.p"]]);
    expect(check({ type: "file" }, "a\0b")).toStrictEqual([["INVALID_PATH", "params.p"]]);
    expect(check({ type: "file" }, "")).toStrictEqual([["INVALID_PATH", "params.p"]]);
    expect(check({ type: "file" }, 3)).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
  });

  it("secret: a string, redacted everywhere", () => {
    const cmd = command({
      parameters: [
        { name: "token", type: "secret" },
        { name: "pin", type: "number", sensitive: true },
      ],
    });
    const result = validator.validate(cmd, { token: "hunter2", pin: 1234 });
    expect(result.valid).toBe(true);
    expect(result.params).toStrictEqual({ token: "hunter2", pin: 1234 });
    expect(result.redactedParams).toStrictEqual({ token: "[REDACTED]", pin: "[REDACTED]" });
    expect(check({ type: "secret" }, 5)).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
  });

  it("resource-ref: a non-empty id, or { id, type } matching the declared resourceType", () => {
    expect(check({ type: "resource-ref" }, "i-123")).toStrictEqual([]);
    expect(check({ type: "resource-ref" }, "  ")).toStrictEqual([["INVALID_REFERENCE", "params.p"]]);
    expect(
      check({ type: "resource-ref", resourceType: "database" }, { id: "db-1", type: "database" }),
    ).toStrictEqual([]);
    expect(
      check({ type: "resource-ref", resourceType: "database" }, { id: "db-1", type: "compute" }),
    ).toStrictEqual([["RESOURCE_TYPE_MISMATCH", "params.p.type"]]);
    expect(check({ type: "resource-ref" }, { id: "", type: "nope" })).toStrictEqual([
      ["INVALID_REFERENCE", "params.p.id"],
      ["INVALID_REFERENCE", "params.p.type"],
    ]);
    expect(check({ type: "resource-ref" }, 7)).toStrictEqual([["TYPE_MISMATCH", "params.p"]]);
    expect(check({ type: "resource-ref", pattern: "^i-" }, { id: "x-1" })).toStrictEqual([
      ["PATTERN_MISMATCH", "params.p.id"],
    ]);
  });

  it("pattern, min/max and enum on strings and numbers", () => {
    expect(check({ type: "string", min: 2 }, "a")).toStrictEqual([["TOO_SMALL", "params.p"]]);
    expect(check({ type: "string", enum: ["a", "b"] }, "c")).toStrictEqual([["NOT_IN_ENUM", "params.p"]]);
    expect(check({ type: "number", enum: [1, 2] }, 3)).toStrictEqual([["NOT_IN_ENUM", "params.p"]]);
    expect(check({ type: "number", min: 1, max: 3 }, 3)).toStrictEqual([]);
    expect(check({ type: "string", pattern: "\\d" }, "abc1")).toStrictEqual([]);
  });

  it("never echoes a value in a message", () => {
    const result = validator.validate(
      command({ parameters: [{ name: "p", type: "string", pattern: "^a$", enum: ["a"] }] }),
      { p: "TOPSECRET" },
    );
    expect(JSON.stringify(result.errors)).not.toContain("TOPSECRET");
  });
});

describe("unknown params", () => {
  it("are errors in strict mode and warnings otherwise (kept in params then)", () => {
    const strict = new InfrastructureCommandValidator({ strict: true }).validate(command(), {
      x: 1,
      "odd key": 2,
    });
    expect(codes(strict.errors)).toStrictEqual([
      ["UNKNOWN_PARAM", "params.x"],
      ["UNKNOWN_PARAM", 'params["odd key"]'],
    ]);
    expect(strict.params).toStrictEqual({});
    const lenient = new InfrastructureCommandValidator({ strict: false }).validate(command(), {
      x: 1,
      password: "p",
    });
    expect(lenient.valid).toBe(true);
    expect(codes(lenient.warnings)).toStrictEqual([
      ["UNKNOWN_PARAM", "params.x"],
      ["UNKNOWN_PARAM", "params.password"],
    ]);
    expect(lenient.params).toStrictEqual({ x: 1, password: "p" });
    expect(lenient.redactedParams).toStrictEqual({ x: 1, password: "[REDACTED]" });
  });
});

describe("dry run", () => {
  const validator = new InfrastructureCommandValidator();
  const noDryRun = command({ supportsDryRun: false });

  it("refuses a dry run of a command that does not support it", () => {
    expect(codes(validator.validate(noDryRun, {}, { dryRun: true }).errors)).toStrictEqual([
      ["DRY_RUN_UNSUPPORTED", "options.dryRun"],
    ]);
    expect(validator.validate(command({ supportsDryRun: true }), {}, { dryRun: true }).valid).toBe(true);
  });

  it("treats a dryRun: true param as a dry-run request", () => {
    const cmd = command({ parameters: [{ name: "dryRun", type: "boolean" }] });
    expect(codes(validator.validate(cmd, { dryRun: true }).errors)).toStrictEqual([
      ["DRY_RUN_UNSUPPORTED", "options.dryRun"],
    ]);
    expect(validator.validate(cmd, { dryRun: false }).valid).toBe(true);
  });

  it("refuses every dry run when allowDryRun is off", () => {
    const off = new InfrastructureCommandValidator({ allowDryRun: false });
    const result = off.validate(noDryRun, {}, { dryRun: true });
    expect(result.errors.map((e) => e.message)).toStrictEqual([
      'command "create-instance" does not support dry run',
      "dry runs are disabled by commandConfig.validation.allowDryRun",
    ]);
    expect(off.validate(command({ supportsDryRun: true }), {}, { dryRun: true }).errors).toHaveLength(1);
  });
});

describe("confirmation", () => {
  const dangerous = command({ dangerous: true, supportsDryRun: true });

  it("requires explicit confirmation for a dangerous command", () => {
    const validator = new InfrastructureCommandValidator();
    expect(codes(validator.validate(dangerous, {}).errors)).toStrictEqual([
      ["CONFIRMATION_REQUIRED", "options.confirmed"],
    ]);
    expect(validator.validate(dangerous, {}, { confirmed: true }).valid).toBe(true);
    expect(validator.validate(dangerous, {}, { dryRun: true }).valid).toBe(true);
    expect(validator.validate(dangerous, {}, createExecutionContext({ confirmed: true })).valid).toBe(true);
  });

  it("lets dangerous commands through when dangerousCommandsRequireExplicit is off", () => {
    expect(
      new InfrastructureCommandValidator({ dangerousCommandsRequireExplicit: false }).validate(dangerous, {})
        .valid,
    ).toBe(true);
  });

  it("requires confirmation of every non-dry-run command when requireConfirmation is on", () => {
    const validator = new InfrastructureCommandValidator({ requireConfirmation: true });
    expect(codes(validator.validate(command(), {}).errors)).toStrictEqual([
      ["CONFIRMATION_REQUIRED", "options.confirmed"],
    ]);
    expect(validator.validate(command(), {}, { confirmed: true }).valid).toBe(true);
    expect(validator.validate(command({ supportsDryRun: true }), {}, { dryRun: true }).valid).toBe(true);
  });

  it("reads unusable options as unconfirmed, never throwing: null, a truthy non-true flag, a throwing getter", () => {
    const validator = new InfrastructureCommandValidator();
    const asOptions = (value: unknown) => value as { confirmed?: boolean };
    expect(codes(validator.validate(dangerous, {}, asOptions(null)).errors)).toStrictEqual([
      ["CONFIRMATION_REQUIRED", "options.confirmed"],
    ]);
    expect(codes(validator.validate(dangerous, {}, asOptions({ confirmed: "yes" })).errors)).toStrictEqual([
      ["CONFIRMATION_REQUIRED", "options.confirmed"],
    ]);
    const hostile = Object.defineProperty({}, "confirmed", {
      get() {
        throw new Error("boom");
      },
    });
    expect(codes(validator.validate(dangerous, {}, asOptions(hostile)).errors)).toStrictEqual([
      ["VALIDATOR_FAILED", "options"],
      ["CONFIRMATION_REQUIRED", "options.confirmed"],
    ]);
  });
});

describe("sensitive parameters", () => {
  const validator = new InfrastructureCommandValidator();
  const cmd = command({
    parameters: [
      { name: "key", type: "secret" },
      { name: "note", type: "string", sensitive: true },
    ],
  });

  it("rejects empty and unresolved ${VAR} values", () => {
    expect(codes(validator.validate(cmd, { key: "", note: "${MY_API_KEY}" }).errors)).toStrictEqual([
      ["EMPTY_SECRET", "params.key"],
      ["UNRESOLVED_SECRET", "params.note"],
    ]);
    expect(validator.validate(cmd, { key: "a${B}c" }).valid).toBe(true);
  });

  it("warns about a sensitive default and redacts it", () => {
    const withDefault = command({ parameters: [{ name: "password", type: "secret", default: "changeme" }] });
    const result = validator.validate(withDefault, {});
    expect(result.valid).toBe(true);
    expect(codes(result.warnings)).toStrictEqual([["SENSITIVE_DEFAULT", "params.password"]]);
    expect(result.redactedParams).toStrictEqual({ password: "[REDACTED]" });
  });
});

describe("definition problems", () => {
  const validator = new InfrastructureCommandValidator();

  it("are reported as INVALID_DEFINITION errors naming the declaration", () => {
    const bad = {
      ...command(),
      parameters: [
        { name: "a", type: "uuid" },
        { name: "b", type: "string", pattern: "(" },
        { name: "b", type: "string" },
        { type: "string" },
        { name: "c", type: "number", default: "two" },
        { name: "d", type: "array", items: "date" },
      ],
    } as unknown as CommandDefinition;
    expect(codes(validator.validate(bad, { b: "x" }).errors)).toStrictEqual([
      ["INVALID_DEFINITION", "command.parameters[0].type"],
      ["INVALID_DEFINITION", "command.parameters[1].pattern"],
      ["INVALID_DEFINITION", "command.parameters[2].name"],
      ["INVALID_DEFINITION", "command.parameters[3]"],
      ["INVALID_DEFINITION", "command.parameters[4].default"],
      ["INVALID_DEFINITION", "command.parameters[5].items"],
    ]);
  });

  it("survive a definition that is not an object", () => {
    const result = validator.validate(null as unknown as CommandDefinition, { a: 1 });
    expect(codes(result.errors)).toStrictEqual([
      ["INVALID_DEFINITION", "command"],
      ["UNKNOWN_PARAM", "params.a"],
    ]);
  });
});

describe("custom validators", () => {
  it("run after the built-ins and can be removed", () => {
    const validator = new InfrastructureCommandValidator();
    expect(validator.validatorNames).toStrictEqual([
      "requiredParams",
      "typeCheck",
      "sensitiveParams",
      "dryRunCheck",
      "dangerousCommandCheck",
    ]);
    validator.addValidator("noProdNames", ({ params }) =>
      typeof params === "object" &&
      params !== null &&
      "name" in params &&
      String(params.name).includes("prod")
        ? [
            { code: "NO_PROD", message: "no prod names", path: "params.name" },
            { code: "HINT", message: "hint", severity: "warning" },
          ]
        : [],
    );
    const result = validator.validate(createInstance, { name: "prod-1", region: "us-east-1" });
    expect(codes(result.errors)).toStrictEqual([["NO_PROD", "params.name"]]);
    expect(result.warnings).toStrictEqual([{ code: "HINT", message: "hint" }]);
    expect(validator.removeValidator("noProdNames")).toBe(true);
    expect(validator.removeValidator("noProdNames")).toBe(false);
    expect(validator.validate(createInstance, { name: "prod-1", region: "us-east-1" }).valid).toBe(true);
  });

  it("refuses a duplicate name", () => {
    const validator = new InfrastructureCommandValidator();
    let caught: unknown;
    try {
      validator.addValidator("typeCheck", () => []);
    } catch (error) {
      caught = error;
    }
    expect(isInfrastructureError(caught, "ALREADY_EXISTS")).toBe(true);
  });

  it("can drop a built-in on purpose", () => {
    const validator = new InfrastructureCommandValidator();
    validator.removeValidator("dangerousCommandCheck");
    expect(validator.validate(command({ dangerous: true }), {}).valid).toBe(true);
  });

  it("turn a throw or a malformed return into a VALIDATOR_FAILED issue naming the validator", () => {
    const validator = new InfrastructureCommandValidator()
      .addValidator("boom", () => {
        throw new Error("kaput");
      })
      .addValidator("notArray", () => "nope" as unknown as [])
      .addValidator("badIssue", () => [{ code: 1 } as unknown as { code: string; message: string }])
      .addValidator("throwsString", () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw "plain";
      });
    const result = validator.validate(createInstance, { name: "a", region: "us-east-1" });
    expect(result.errors.map((e) => [e.code, e.message])).toStrictEqual([
      ["VALIDATOR_FAILED", 'validator "boom" threw: kaput'],
      ["VALIDATOR_FAILED", 'validator "notArray" did not return an array of issues'],
      ["VALIDATOR_FAILED", 'validator "badIssue" returned a malformed issue'],
      ["VALIDATOR_FAILED", 'validator "throwsString" threw: plain'],
    ]);
  });

  it("rejects an invalid config at construction", () => {
    expect(() => new InfrastructureCommandValidator({ strict: "yes" as unknown as boolean })).toThrow(
      /Invalid command validation config/,
    );
  });
});

describe("built-in validators used alone", () => {
  const input = (overrides: Partial<CommandValidatorInput>): CommandValidatorInput => ({
    command: createInstance,
    params: {},
    options: { dryRun: false, confirmed: false },
    config: {
      strict: true,
      allowDryRun: true,
      requireConfirmation: false,
      dangerousCommandsRequireExplicit: true,
    },
    ...overrides,
  });

  it("are pure functions of their input", () => {
    expect(codes(requiredParams(input({})))).toStrictEqual([
      ["REQUIRED", "params.name"],
      ["REQUIRED", "params.region"],
    ]);
    expect(codes(typeCheck(input({ params: { cpu: "x" } })))).toStrictEqual([
      ["TYPE_MISMATCH", "params.cpu"],
    ]);
    expect(codes(sensitiveParams(input({ params: { apiKey: " " } })))).toStrictEqual([
      ["EMPTY_SECRET", "params.apiKey"],
    ]);
    expect(
      codes(dryRunCheck(input({ command: command(), options: { dryRun: true, confirmed: false } }))),
    ).toStrictEqual([["DRY_RUN_UNSUPPORTED", "options.dryRun"]]);
    expect(codes(dangerousCommandCheck(input({ command: command({ dangerous: true }) })))).toStrictEqual([
      ["CONFIRMATION_REQUIRED", "options.confirmed"],
    ]);
  });

  it("mark unknown params as warnings in non-strict mode", () => {
    const issues = typeCheck(
      input({
        params: { x: 1 },
        config: {
          strict: false,
          allowDryRun: true,
          requireConfirmation: false,
          dangerousCommandsRequireExplicit: true,
        },
      }),
    );
    expect(issues).toStrictEqual([
      {
        code: "UNKNOWN_PARAM",
        message: 'command "create-instance" has no parameter "x"',
        path: "params.x",
        severity: "warning",
      },
    ]);
  });
});

describe("redactParams", () => {
  it("redacts declared sensitive params and secret keys at any depth with core's one predicate", () => {
    expect(
      redactParams(createInstance, {
        name: "a",
        options: { password: "p", size: 1, list: [{ cookie: "c" }] },
        passwords: ["x"],
        pwd: "y",
        auth: {},
      }),
    ).toStrictEqual({
      name: "a",
      options: { password: "[REDACTED]", size: 1, list: [{ cookie: "[REDACTED]" }] },
      passwords: "[REDACTED]",
      pwd: "[REDACTED]",
      auth: "[REDACTED]",
    });

    expect(
      redactParams(createInstance, { name: "a", apiKey: "k", db_password: "p", authToken: "t", cpu: 1 }),
    ).toStrictEqual({
      name: "a",
      apiKey: "[REDACTED]",
      db_password: "[REDACTED]",
      authToken: "[REDACTED]",
      cpu: 1,
    });
    expect(redactParams(createInstance, "nope")).toStrictEqual({});
    expect(redactParams(createInstance, { apiKey: undefined })).toStrictEqual({ apiKey: undefined });
  });
});

describe("validated-call verdicts", () => {
  const cmd = command({
    dangerous: true,
    parameters: [
      { name: "name", type: "string", required: true },
      { name: "size", type: "number", default: 1 },
    ],
  });

  it("a valid call carries a verdict that matches exactly that command, params and flags", () => {
    const validator = new InfrastructureCommandValidator({ dangerousCommandsRequireExplicit: false });
    const result = validator.validate(cmd, { name: "a" });
    expect(result.valid).toBe(true);
    const verdict = result.validated;
    expect(verdict).toMatchObject({
      command: cmd,
      params: { name: "a", size: 1 },
      dryRun: false,
      confirmed: false,
      config: validator.config,
    });
    expect(isValidatedCall(verdict, cmd, { ...result.params })).toBe(true);
    expect(isValidatedCall(verdict, cmd, { ...result.params }, { confirmed: true })).toBe(false);
    expect(isValidatedCall(verdict, cmd, { ...result.params }, { dryRun: true })).toBe(false);
    expect(isValidatedCall(verdict, cmd, { name: "b", size: 1 })).toBe(false);
    expect(isValidatedCall(verdict, cmd, { name: "a", size: 1, extra: true })).toBe(false);
    expect(isValidatedCall(verdict, cmd, { name: "a" })).toBe(false);
    expect(
      isValidatedCall(verdict, command({ dangerous: true, parameters: cmd.parameters }), {
        ...result.params,
      }),
    ).toBe(false);
    expect(Object.isFrozen(verdict)).toBe(true);
    expect(Object.isFrozen(verdict?.params)).toBe(true);
  });

  it("an invalid call has no verdict, and a look-alike object is not one", () => {
    const validator = new InfrastructureCommandValidator();
    const refused = validator.validate(cmd, { name: "a" });
    expect(refused.valid).toBe(false);
    expect(refused.validated).toBeUndefined();
    const forged = {
      command: cmd,
      params: { name: "a", size: 1 },
      dryRun: false,
      confirmed: false,
      config: validator.config,
    };
    expect(isValidatedCall(forged, cmd, { name: "a", size: 1 })).toBe(false);
    expect(isValidatedCall(undefined, cmd, {})).toBe(false);
  });
});
