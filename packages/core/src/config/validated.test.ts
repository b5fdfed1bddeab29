import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigValidationError } from "../errors.js";
import { infrastructureConfigSchema } from "./schemas.js";
import { parseInfrastructureConfig, validateInfrastructureConfig } from "./validate.js";
import { isValidatedInfrastructureConfig, safeParseInfrastructureConfig } from "./validated.js";

const input = {
  providers: [{ id: "echo", settings: { region: "eu", nested: { list: [1, 2] } } }],
  stateDir: "state",
  discoveryConfig: { localDirs: ["plugins"] },
};

/** A config core validated and branded. */
function branded(): ReturnType<typeof parseInfrastructureConfig> {
  const parsed = safeParseInfrastructureConfig(structuredClone(input));
  if (!parsed.success) throw new Error("the fixture must be valid");
  return parsed.data;
}

/** Every plain object and array under `value`, `value` included. */
function containers(value: unknown, out: object[] = []): object[] {
  if (typeof value === "object" && value !== null) {
    out.push(value);
    for (const item of Object.values(value)) containers(item, out);
  }
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("safeParseInfrastructureConfig", () => {
  it("gives what validateInfrastructureConfig gives, frozen at every level and branded", () => {
    const config = branded();
    const plain = validateInfrastructureConfig(structuredClone(input));
    expect(plain.success && plain.data).toStrictEqual(config);
    expect(isValidatedInfrastructureConfig(config)).toBe(true);
    for (const part of containers(config)) expect(Object.isFrozen(part)).toBe(true);
  });

  it("brands nothing when the config is invalid, and reports its issues", () => {
    const parsed = safeParseInfrastructureConfig({ stateDir: 5 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toStrictEqual(["stateDir"]);
  });

  it("does not brand an equal copy, the results of the other validators, or non-objects", () => {
    const config = branded();
    const plain = validateInfrastructureConfig(structuredClone(input));
    expect(isValidatedInfrastructureConfig(structuredClone(config))).toBe(false);
    expect(isValidatedInfrastructureConfig({ ...config })).toBe(false);
    expect(isValidatedInfrastructureConfig(plain.success ? plain.data : undefined)).toBe(false);
    for (const other of [null, undefined, 1, "config"])
      expect(isValidatedInfrastructureConfig(other)).toBe(false);
  });
});

describe("parseInfrastructureConfig and the brand", () => {
  it("does not parse a branded config again, and hands the same object back", () => {
    const config = branded();
    const spy = vi.spyOn(infrastructureConfigSchema, "safeParse");
    expect(parseInfrastructureConfig(config)).toBe(config);
    expect(parseInfrastructureConfig(config)).toBe(config);
    expect(spy).not.toHaveBeenCalled();
  });

  it("parses an unbranded config (an equal copy included): a new result, not the copy", () => {
    const config = branded();
    const copy = structuredClone(config);
    const parsed = parseInfrastructureConfig(copy);
    expect(parsed).not.toBe(copy);
    expect(parsed).toStrictEqual(config);
  });

  it("cannot be changed after it was checked; a changed copy is parsed and refused", () => {
    const config = branded();
    expect(() => {
      (config as { stateDir?: unknown }).stateDir = 5;
    }).toThrow(TypeError);
    expect(() => {
      (config.providers as unknown[]).push({ id: 7 });
    }).toThrow(TypeError);
    expect(() => {
      config.discoveryConfig.localDirs[0] = "";
    }).toThrow(TypeError);
    expect(config.stateDir).toBe("state");
    const spy = vi.spyOn(infrastructureConfigSchema, "safeParse");
    const changed = { ...config, providers: [...config.providers, { id: 7 }] };
    expect(() => parseInfrastructureConfig(changed)).toThrow(ConfigValidationError);
    expect(() => parseInfrastructureConfig(changed)).toThrow(/providers\[1\]\.id/);
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
