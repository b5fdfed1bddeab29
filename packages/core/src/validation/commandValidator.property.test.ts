import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { commandDefinitionSchema } from "../commands.js";
import type { CommandDefinition } from "../commands.js";
import { PARAMETER_TYPES } from "../taxonomy.js";
import { InfrastructureCommandValidator } from "./commandValidator.js";

const anything = fc.anything({
  withNullPrototype: true,
  withObjectString: true,
  withMap: true,
  withSet: true,
  withDate: true,
  withBigInt: true,
  withSparseArray: true,
});

/** Arbitrary parameter declarations: well-formed, half-formed and junk. */
const declaration = fc.oneof(
  fc.record(
    {
      name: fc.oneof(fc.string(), fc.constantFrom("a", "b", "dryRun", "__proto__", "toString")),
      type: fc.oneof(fc.constantFrom(...PARAMETER_TYPES), fc.string()),
      required: fc.oneof(fc.boolean(), anything),
      default: anything,
      pattern: fc.oneof(fc.string(), fc.constantFrom("^a", "(", "[", "\\d+", "a{2,}")),
      min: fc.oneof(fc.double(), anything),
      max: fc.oneof(fc.double(), anything),
      enum: fc.oneof(fc.array(fc.oneof(fc.string(), fc.double(), fc.boolean())), anything),
      sensitive: fc.oneof(fc.boolean(), anything),
      items: fc.oneof(fc.constantFrom(...PARAMETER_TYPES), anything),
      resourceType: fc.oneof(fc.constantFrom("compute", "database"), anything),
    },
    { requiredKeys: [] },
  ),
  anything,
);

const arbitraryCommand = fc.oneof(
  fc.record(
    {
      id: fc.oneof(fc.string(), anything),
      parameters: fc.oneof(fc.array(declaration, { maxLength: 6 }), anything),
      supportsDryRun: fc.oneof(fc.boolean(), anything),
      dangerous: fc.oneof(fc.boolean(), anything),
    },
    { requiredKeys: [] },
  ),
  anything,
) as fc.Arbitrary<CommandDefinition>;

const configs = fc.record({
  strict: fc.boolean(),
  allowDryRun: fc.boolean(),
  requireConfirmation: fc.boolean(),
  dangerousCommandsRequireExplicit: fc.boolean(),
});

/** Call options: well-formed, with junk flag values, or not an object at all (null, a number…). */
const options = fc.oneof(
  fc.record({ dryRun: fc.boolean(), confirmed: fc.boolean() }, { requiredKeys: [] }),
  fc.record({ dryRun: anything, confirmed: anything }, { requiredKeys: [] }),
  anything,
) as fc.Arbitrary<{ dryRun?: boolean; confirmed?: boolean }>;

describe("InfrastructureCommandValidator properties", () => {
  it("never throws, whatever the command, params, options and config", () => {
    fc.assert(
      fc.property(
        configs,
        arbitraryCommand,
        fc.oneof(anything, fc.dictionary(fc.constantFrom("a", "b", "dryRun", "__proto__"), anything)),
        options,
        (config, command, params, opts) => {
          const result = new InfrastructureCommandValidator(config).validate(command, params, opts);
          expect(result.valid).toBe(result.errors.length === 0);
          for (const issue of [...result.errors, ...result.warnings]) {
            expect(typeof issue.code).toBe("string");
            expect(typeof issue.message).toBe("string");
          }
          expect(Object.keys(result.redactedParams)).toStrictEqual(Object.keys(result.params));
        },
      ),
      { numRuns: 500 },
    );
  });

  // One independent violation per parameter: each kind yields exactly one error at `params.<name>`.
  const violations = {
    missing: { declaration: { type: "string", required: true }, value: undefined, code: "REQUIRED" },
    wrongType: { declaration: { type: "number" }, value: "7", code: "TYPE_MISMATCH" },
    pattern: { declaration: { type: "string", pattern: "^[a-z]+$" }, value: "ABC", code: "PATTERN_MISMATCH" },
    tooSmall: { declaration: { type: "number", min: 10 }, value: 3, code: "TOO_SMALL" },
    tooBig: { declaration: { type: "string", max: 2 }, value: "abcd", code: "TOO_BIG" },
    notInEnum: { declaration: { type: "string", enum: ["x", "y"] }, value: "z", code: "NOT_IN_ENUM" },
    traversal: { declaration: { type: "file" }, value: "../../etc/passwd", code: "PATH_TRAVERSAL" },
    emptyRef: { declaration: { type: "resource-ref" }, value: "", code: "INVALID_REFERENCE" },
    notArray: { declaration: { type: "array", items: "string" }, value: "a,b", code: "TYPE_MISMATCH" },
    notObject: { declaration: { type: "object" }, value: [1], code: "TYPE_MISMATCH" },
    emptySecret: { declaration: { type: "secret" }, value: "", code: "EMPTY_SECRET" },
  } as const;
  const kinds = Object.keys(violations) as (keyof typeof violations)[];
  const valid = { type: "string", value: "fine" } as const;

  it("reports every one of N independent violations at its own path", () => {
    const plan = fc.array(fc.oneof(fc.constantFrom(...kinds), fc.constant("valid" as const)), {
      maxLength: 25,
    });
    fc.assert(
      fc.property(plan, (kindsPerParam) => {
        const parameters: Record<string, unknown>[] = [];
        const params: Record<string, unknown> = {};
        const expected: [string, string][] = [];
        kindsPerParam.forEach((kind, index) => {
          const name = `p${index}`;
          if (kind === "valid") {
            parameters.push({ name, type: valid.type });
            params[name] = valid.value;
            return;
          }
          const violation = violations[kind];
          parameters.push({ name, ...violation.declaration });
          if (violation.value !== undefined) params[name] = violation.value;
          expected.push([violation.code, `params.${name}`]);
        });
        const command = commandDefinitionSchema.parse({
          id: "cmd",
          name: "Cmd",
          category: "manage",
          parameters,
        });
        const result = new InfrastructureCommandValidator().validate(command, params);
        const sort = (list: [string, string][]) =>
          list.sort((a, b) => (a[1] + a[0]).localeCompare(b[1] + b[0]));
        expect(sort(result.errors.map((e) => [e.code, e.path ?? ""]))).toStrictEqual(sort(expected));
        expect(result.valid).toBe(expected.length === 0);
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic: the same call gives the same result", () => {
    fc.assert(
      fc.property(
        arbitraryCommand,
        fc.dictionary(fc.string(), fc.jsonValue()),
        options,
        (command, params, opts) => {
          const validator = new InfrastructureCommandValidator();
          expect(validator.validate(command, params, opts)).toStrictEqual(
            validator.validate(command, params, opts),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
