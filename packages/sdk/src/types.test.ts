import { describe, expectTypeOf, it } from "vitest";
import type { CommandDefinition, CommandResult, ExecutionContext, ResourceState } from "@espada/infra-core";
import type { ResourceTracker, ResourceUpdate } from "./resourceTracker.js";
import { defineCommand, implementCommand } from "./defineCommand.js";
import type { InputOf, ParamsOf, TypedCommandDefinition } from "./defineCommand.js";
import { createSimpleProvider } from "./simpleProvider.js";
import { defineProvider } from "./defineProvider.js";
import { failure, success } from "./results.js";

const base = () => defineCommand().id("c").name("C").category("provision");

describe("command params type inference", () => {
  it("required and defaulted params are non-optional for the handler", () => {
    const _def = base()
      .stringParam("name", "Instance name", { required: true })
      .numberParam("cpu", "CPU count", { default: 2 })
      .build();
    expectTypeOf<ParamsOf<typeof _def>>().toEqualTypeOf<{ name: string; cpu: number }>();
    expectTypeOf(_def).toExtend<CommandDefinition>();
  });

  it("the handler receives typed params", () => {
    const impl = base()
      .stringParam("name", "Instance name", { required: true })
      .numberParam("cpu", "CPU count", { default: 2 })
      .handler((params, ctx) => {
        expectTypeOf(params).toEqualTypeOf<{ name: string; cpu: number }>();
        expectTypeOf(ctx).toEqualTypeOf<ExecutionContext>();
        return success(params.name.length + params.cpu);
      });
    expectTypeOf(impl.definition).toExtend<CommandDefinition>();
  });

  it("params without required/default are optional", () => {
    const _def = base()
      .booleanParam("dryRun", "Simulate")
      .stringParam("note", "Note", { required: false })
      .build();
    expectTypeOf<ParamsOf<typeof _def>>().toEqualTypeOf<{ dryRun?: boolean; note?: string }>();
  });

  it("enum options narrow to the literal union", () => {
    const _def = base()
      .stringParam("size", "Size", { enum: ["small", "large"], required: true })
      .numberParam("replicas", "Replicas", { enum: [1, 3, 5] })
      .build();
    expectTypeOf<ParamsOf<typeof _def>>().toEqualTypeOf<{ size: "small" | "large"; replicas?: 1 | 3 | 5 }>();
  });

  it("a default must be one of the enum's values", () => {
    const engines = ["redis", "etcd"] as const;
    const _def = base()
      .stringParam("engine", "Engine", { enum: engines, default: "redis" })
      .numberParam("replicas", "Replicas", { enum: [1, 3], default: 3 })
      .build();
    expectTypeOf<ParamsOf<typeof _def>>().toEqualTypeOf<{ engine: "redis" | "etcd"; replicas: 1 | 3 }>();
    expectTypeOf<InputOf<typeof _def>>().toEqualTypeOf<{ engine?: "redis" | "etcd"; replicas?: 1 | 3 }>();
    // @ts-expect-error "mysql" is not one of the enum's values
    base().stringParam("engine", "Engine", { enum: engines, default: "mysql" });
    // @ts-expect-error 2 is not one of the enum's values
    base().numberParam("replicas", "Replicas", { enum: [1, 3], default: 2 });
  });

  it("every param kind maps to its value type", () => {
    const _def = base()
      .arrayParam("zones", "", { items: "string", required: true })
      .arrayParam("anything", "", { default: [] })
      .objectParam("labels", "", { required: true })
      .fileParam("manifest", "", { required: true })
      .secretParam("token", "", { required: true })
      .resourceRefParam("cluster", "")
      .build();
    expectTypeOf<ParamsOf<typeof _def>>().toEqualTypeOf<{
      zones: string[];
      anything: unknown[];
      labels: Record<string, unknown>;
      manifest: string;
      token: string;
      cluster?: string;
    }>();
  });

  it("the caller input makes defaulted params optional", () => {
    const _def = base()
      .stringParam("name", "", { required: true })
      .numberParam("cpu", "", { default: 2, required: true })
      .build();
    expectTypeOf<InputOf<typeof _def>>().toEqualTypeOf<{ name: string; cpu?: number }>();
  });

  it("an untyped definition falls back to a record", () => {
    expectTypeOf<ParamsOf<CommandDefinition>>().toEqualTypeOf<Record<string, unknown>>();
    expectTypeOf<InputOf<CommandDefinition>>().toEqualTypeOf<Record<string, unknown>>();
  });

  it("implementCommand takes its params type from the definition", () => {
    const def: TypedCommandDefinition<{ id: string }> = base()
      .stringParam("id", "", { required: true })
      .build();
    implementCommand(def, (params) => {
      expectTypeOf(params).toEqualTypeOf<{ id: string }>();
      return failure("NOPE", "no");
    });
  });

  it("refuses wrong uses at compile time", () => {
    const builder = base().stringParam("name", "", { required: true }).numberParam("cpu", "", { default: 2 });
    builder.handler((params) => {
      // @ts-expect-error cpu is a number, not a string
      const cpu: string = params.cpu;
      // @ts-expect-error no such parameter
      void params.memory;
      return success(cpu);
    });
    // @ts-expect-error an example must include the required name
    builder.example("missing name", { cpu: 2 });
    // @ts-expect-error an example value must have the param's type
    builder.example("wrong type", { name: "a", cpu: "two" });
    // @ts-expect-error default must match the param type
    base().numberParam("cpu", "", { default: "2" });
    // @ts-expect-error unknown category
    base().category("deploy");
    // @ts-expect-error a handler must return a command result
    builder.handler(() => 42);
    base()
      .stringParam("size", "", { enum: ["s", "l"], required: true })
      .handler((_params) => {
        // @ts-expect-error "m" is not one of the enum values
        const wrong: typeof _params.size = "m";
        return success(wrong);
      });
    // @ts-expect-error unknown capability
    defineProvider().capabilities("teleport");
  });
});

describe("createSimpleProvider typing", () => {
  it("accepts the spec's callbacks and typed command implementations", () => {
    const meta = defineProvider()
      .id("p")
      .name("P")
      .version("1.0.0")
      .category("cloud")
      .authMethods("api-key")
      .build();
    const typed = base()
      .stringParam("name", "", { required: true })
      .handler((params) => success({ created: params.name }));
    const provider = createSimpleProvider({
      meta,
      commands: [typed, base().id("plain").build()],
      async onInitialize(auth, logger) {
        expectTypeOf(auth.method).toEqualTypeOf<
          "api-key" | "oauth2" | "service-account" | "iam-role" | "certificate" | "token" | "custom"
        >();
        logger.info("init");
        await Promise.resolve();
      },
      async onStart() {
        await Promise.resolve();
      },
      async onHealthCheck() {
        await Promise.resolve();
        return [{ name: "api", status: "healthy" }];
      },
      async onExecuteCommand(cmd, params) {
        await Promise.resolve();
        expectTypeOf(params).toEqualTypeOf<Record<string, unknown>>();
        return failure("UNKNOWN_CMD", cmd.id);
      },
    });
    expectTypeOf(provider.executeCommand("c", {})).resolves.toEqualTypeOf<CommandResult>();
    createSimpleProvider({
      meta,
      onInitialize: () => undefined,
      onStart: () => undefined,
      // @ts-expect-error a health item needs a known status
      onHealthCheck: () => [{ name: "api", status: "fine" }],
    });
  });

  it("passes the resource tracker last to every callback and fourth to typed handlers", () => {
    const meta = defineProvider()
      .id("p")
      .name("P")
      .version("1.0.0")
      .category("cloud")
      .authMethods("api-key")
      .build();
    const typed = base()
      .stringParam("name", "", { required: true })
      .handler((params, _ctx, _logger, resources) => {
        expectTypeOf(resources).toEqualTypeOf<ResourceTracker>();
        return success(resources.update({ id: params.name, type: "compute", status: "up" }));
      });
    createSimpleProvider({
      meta,
      commands: [typed],
      validation: { strict: false },
      onInitialize: (_auth, _logger, resources) => {
        expectTypeOf(resources).toEqualTypeOf<ResourceTracker>();
      },
      onStart: (_logger, resources) => {
        expectTypeOf(resources.remove).toEqualTypeOf<(id: string) => boolean>();
      },
      onStop: (_logger, resources) => {
        expectTypeOf(resources.list()).toEqualTypeOf<readonly ResourceState[]>();
      },
      onHealthCheck: (_logger, resources) => {
        expectTypeOf(resources.update).parameter(0).toEqualTypeOf<ResourceUpdate>();
        return [];
      },
      onExecuteCommand: (_cmd, _params, _ctx, _logger, resources) => success(resources.list()),
    });
    // type-only: never run (the bad validation setting would throw at construction)
    const _typeOnly = () =>
      createSimpleProvider({
        meta,
        ...{ onInitialize: () => undefined, onStart: () => undefined, onHealthCheck: () => [] },
        onExecuteCommand: (_cmd, _params, _ctx, _logger, resources) => {
          // @ts-expect-error a resource needs a known type
          resources.update({ id: "x", type: "teleporter", status: "up" });
          return success(null);
        },
        // @ts-expect-error validation settings are typed (commandConfig.validation)
        validation: { strict: "yes" },
      });
    expectTypeOf(_typeOnly).returns.toExtend<object>();
  });
});
