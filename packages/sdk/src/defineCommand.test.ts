import { describe, expect, it } from "vitest";
import {
  ValidationError,
  commandDefinitionSchema,
  createExecutionContext,
  createNoopLogger,
} from "@espada/infra-core";
import { defineCommand, implementCommand, isCommandImplementation } from "./defineCommand.js";
import { createResourceTracker } from "./resourceTracker.js";
import { success } from "./results.js";

const specCommand = () =>
  defineCommand()
    .id("create-instance")
    .name("Create Instance")
    .description("Provision a new compute instance")
    .category("provision")
    .stringParam("name", "Instance name", { required: true })
    .stringParam("region", "Target region", { required: true })
    .numberParam("cpu", "CPU count", { default: 2 })
    .numberParam("memory", "Memory in GB", { default: 4 })
    .booleanParam("dryRun", "Simulate without provisioning")
    .requiredCapabilities("provision")
    .supportsDryRun()
    .dangerous(false)
    .example("Create a small instance", { name: "web-1", region: "us-east-1", cpu: 2 });

function buildError(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("defineCommand", () => {
  it("builds the spec's command as a valid core CommandDefinition", () => {
    const def = specCommand().build();
    expect(commandDefinitionSchema.parse(def)).toEqual(def);
    expect(def.parameters.map((p) => [p.name, p.type, p.required, p.default])).toEqual([
      ["name", "string", true, undefined],
      ["region", "string", true, undefined],
      ["cpu", "number", false, 2],
      ["memory", "number", false, 4],
      ["dryRun", "boolean", false, undefined],
    ]);
    expect(def).toMatchObject({
      supportsDryRun: true,
      dangerous: false,
      requiredCapabilities: ["provision"],
    });
    expect(def.examples).toEqual([
      { description: "Create a small instance", params: { name: "web-1", region: "us-east-1", cpu: 2 } },
    ]);
  });

  it("supports every parameter kind and option", () => {
    const def = defineCommand()
      .id("deploy")
      .name("Deploy")
      .category("manage")
      .stringParam("size", "Size", { enum: ["small", "large"], default: "small" })
      .stringParam("tag", "Tag", { pattern: /^[a-z]+$/, min: 2, max: 8 })
      .numberParam("replicas", "Replicas", { min: 1, max: 10 })
      .arrayParam("zones", "Zones", { items: "string", min: 1 })
      .objectParam("labels", "Labels", { default: { team: "ops" } })
      .fileParam("manifest", "Manifest path", { pattern: "\\.ya?ml$" })
      .secretParam("token", "API token", { required: true })
      .resourceRefParam("cluster", "Cluster", { resourceType: "cluster" })
      .booleanParam("force", "Force", { sensitive: true })
      .timeout(30_000)
      .resourceTypes("cluster", "container")
      .build();
    const byName = Object.fromEntries(def.parameters.map((p) => [p.name, p]));
    expect(byName.size).toMatchObject({ enum: ["small", "large"], default: "small" });
    expect(byName.tag).toMatchObject({ pattern: "^[a-z]+$", min: 2, max: 8 });
    expect(byName.zones).toMatchObject({ type: "array", items: "string", min: 1 });
    expect(byName.token).toMatchObject({ type: "secret", sensitive: true, required: true });
    expect(byName.cluster).toMatchObject({ type: "resource-ref", resourceType: "cluster" });
    expect(byName.force?.sensitive).toBe(true);
    expect(def).toMatchObject({
      timeout: 30_000,
      resourceTypes: ["cluster", "container"],
      supportsDryRun: false,
      dangerous: false,
    });
  });

  it("names missing required fields", () => {
    const error = buildError(() => defineCommand().build());
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["id", "name", "category"]));
    expect(error.message).toContain("id is required");
  });

  it("rejects a duplicate parameter", () => {
    const error = buildError(() =>
      defineCommand().id("c").name("C").category("utility").stringParam("a", "").numberParam("a", "").build(),
    );
    expect(error.message).toContain('parameter "a" is declared twice');
    expect(error.issues[0]?.path).toBe("parameters[1].name");
  });

  it("rejects a default that breaks its own constraints and an invalid pattern", () => {
    const error = buildError(() =>
      defineCommand()
        .id("c")
        .name("C")
        .category("utility")
        .numberParam("cpu", "", { min: 1, default: 0 })
        .stringParam("p", "", { pattern: "(" })
        .build(),
    );
    expect(error.issues.map((i) => i.path)).toEqual(["parameters[0].default", "parameters[1].pattern"]);
  });

  it("rejects min greater than max, naming the parameter", () => {
    const error = buildError(() =>
      defineCommand()
        .id("c")
        .name("C")
        .category("utility")
        .numberParam("size", "", { min: 5, max: 1 })
        .stringParam("s", "", { min: 2, max: 2 })
        .build(),
    );
    expect(error.issues).toEqual([
      {
        code: "INVALID_DEFINITION",
        message: 'parameter "size": min 5 is greater than max 1; no value can pass',
        path: "parameters[0].max",
      },
    ]);
    expect(error.message).toContain('parameter "size": min 5 is greater than max 1');
  });

  it("rejects a RegExp with flags it cannot keep", () => {
    const error = buildError(() =>
      defineCommand().id("c").name("C").category("utility").stringParam("p", "", { pattern: /a/i }).build(),
    );
    expect(error.issues[0]).toMatchObject({ code: "PATTERN_FLAGS", path: "parameters[0].pattern" });
  });

  it("checks examples against the parameters", () => {
    const error = buildError(() =>
      defineCommand()
        .id("c")
        .name("C")
        .category("utility")
        .numberParam("cpu", "", { max: 8, required: true })
        .example("too big", { cpu: 64 })
        .build(),
    );
    expect(error.issues[0]?.path).toBe("examples[0].params.cpu");
  });

  it("pairs a definition with a typed handler", async () => {
    const impl = specCommand().handler((params) => success({ name: params.name, cpu: params.cpu }));
    expect(isCommandImplementation(impl)).toBe(true);
    expect(isCommandImplementation(impl.definition)).toBe(false);
    const resources = createResourceTracker();
    const result = await impl.handle(
      { name: "web", region: "eu", cpu: 2, memory: 4 },
      createExecutionContext(),
      createNoopLogger(),
      resources,
    );
    expect(result).toMatchObject({ success: true, data: { name: "web", cpu: 2 } });
    const again = implementCommand(impl.definition, (params) => success(params.region));
    expect(again.definition).toBe(impl.definition);
    expect(() => implementCommand(impl.definition, "nope" as never)).toThrow(ValidationError);
    const tracking = implementCommand(impl.definition, (params, _ctx, _log, tracker) =>
      success(tracker.update({ id: params.name, type: "compute", status: "up" })),
    );
    await tracking.handle(
      { name: "web", region: "eu", cpu: 2, memory: 4 },
      createExecutionContext(),
      createNoopLogger(),
      resources,
    );
    expect(resources.list()).toMatchObject([{ id: "web", type: "compute", status: "up" }]);
  });
});

describe("estimatedCost", () => {
  it("declares a cost core's schema checks, with USD and once by default", () => {
    expect(specCommand().estimatedCost(0.12).build().estimatedCost).toEqual({
      amount: 0.12,
      currency: "USD",
      period: "once",
    });
    expect(
      specCommand().estimatedCost(40, { currency: "EUR", period: "monthly" }).build().estimatedCost,
    ).toEqual({ amount: 40, currency: "EUR", period: "monthly" });
    expect(specCommand().build().estimatedCost).toBeUndefined();
    const error = buildError(() => specCommand().estimatedCost(-1, { currency: "euro" }).build());
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      "estimatedCost.amount",
      "estimatedCost.currency",
    ]);
  });
});
