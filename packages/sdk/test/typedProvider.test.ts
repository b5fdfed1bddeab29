import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { ValidationError } from "@espada/infra-core";
import type { CommandResult } from "@espada/infra-core";
import {
  createCommandClient,
  createSimpleProvider,
  defineCommand,
  defineProvider,
  failure,
  success,
  validation,
} from "../src/index.js";
import { createInMemoryHost, expectFailure, expectSuccess } from "../src/testing/index.js";

const meta = defineProvider()
  .id("typed-cloud")
  .name("Typed Cloud")
  .version("1.0.0")
  .category("cloud")
  .authMethods("api-key")
  .build();

const create = defineCommand()
  .id("create-instance")
  .name("Create instance")
  .category("provision")
  .stringParam("name", "Name", { required: true })
  .numberParam("cpu", "CPUs", { default: 2 })
  .handler((params) =>
    params.name === "taken"
      ? failure("ALREADY_EXISTS", "taken")
      : success({ instanceId: `i-${params.name}`, cpu: params.cpu }),
  );
const list = defineCommand()
  .id("list")
  .name("List")
  .category("monitor")
  .handler(async () => {
    await Promise.resolve();
    return success([{ id: "i-1" }]);
  });

const settingsSchema = z.object({
  region: z.string().min(2),
  limits: z.object({ maxInstances: z.number().int().positive().default(5) }).prefault({}),
});

describe("typed calls", () => {
  it("checks the command id and params at compile time and types data from the handler", async () => {
    const provider = createSimpleProvider({
      meta,
      commands: [create, list],
      settings: { region: "eu" },
      settingsSchema,
    });
    await provider.initialize({ method: "api-key", credentials: {}, options: {} });
    await provider.start();
    const created = await provider.call("create-instance", { name: "web" });
    expectTypeOf(created).toEqualTypeOf<CommandResult<{ instanceId: string; cpu: number }>>();
    expect(expectSuccess(created)).toEqual({ instanceId: "i-web", cpu: 2 });
    const listed = await provider.call("list", {});
    expectTypeOf(expectSuccess(listed)).toEqualTypeOf<{ id: string }[]>();
    expectFailure(await provider.call("create-instance", { name: "taken", cpu: 4 }), "ALREADY_EXISTS");

    // @ts-expect-error — no command "delete-instance"
    expectFailure(await provider.call("delete-instance", {}), "NOT_FOUND");
    // @ts-expect-error — name must be a string
    expectFailure(await provider.call("create-instance", { name: 42 }), "VALIDATION_FAILED");
    // @ts-expect-error — name is required
    expectFailure(await provider.call("create-instance", { cpu: 1 }), "VALIDATION_FAILED");
    // @ts-expect-error — no param "memory"
    expectFailure(await provider.call("create-instance", { name: "x", memory: 4 }), "VALIDATION_FAILED");
    await provider.destroy();
  });

  it("a client over any runner (an in-memory host here) is typed the same way", async () => {
    const host = createInMemoryHost(
      ({ logger, settings }) =>
        createSimpleProvider({ meta, logger, settings, settingsSchema, commands: [create, list] }),
      { settings: { region: "eu" } },
    );
    await host.start();
    const client = createCommandClient([create, list], host.execute);
    const result = await client.call("create-instance", { name: "db", cpu: 8 });
    expectTypeOf(result).toEqualTypeOf<CommandResult<{ instanceId: string; cpu: number }>>();
    expect(expectSuccess(result).cpu).toBe(8);
    // @ts-expect-error — cpu must be a number
    expectFailure(await client.call("create-instance", { name: "db", cpu: "8" }), "VALIDATION_FAILED");
    await host.shutdown();
  });

  it("a command id is a literal type from defineCommand().id()", () => {
    expectTypeOf(create.definition.id).toEqualTypeOf<"create-instance">();
    const bare = defineCommand().id("bare").name("Bare").category("utility").build();
    expectTypeOf(bare.id).toEqualTypeOf<"bare">();
  });
});

describe("typed settings", () => {
  it("parses settings with the schema and hands them, typed, to every callback", async () => {
    const seen: unknown[] = [];
    const provider = createSimpleProvider({
      meta,
      settingsSchema,
      onInitialize(_auth, _logger, _resources, settings) {
        expectTypeOf(settings).toEqualTypeOf<{ region: string; limits: { maxInstances: number } }>();
        seen.push(settings);
      },
      onHealthCheck: (_logger, _resources, settings) => [{ name: settings.region, status: "healthy" }],
    });
    expect(await provider.validateConfig({ region: "eu-west-1" })).toEqual({
      valid: true,
      errors: [],
      warnings: [],
    });
    await provider.initialize({ method: "api-key", credentials: {}, options: {} });
    await provider.start();
    expect(seen).toEqual([{ region: "eu-west-1", limits: { maxInstances: 5 } }]);
    expect(provider.settings.limits.maxInstances).toBe(5);
    expect((await provider.healthCheck()).checks[0]?.name).toBe("eu-west-1");
  });

  it("names each bad field: relative in validateConfig, settings.<field> through a host or at initialize", async () => {
    const provider = createSimpleProvider({ meta, settingsSchema });
    const verdict = await provider.validateConfig({ region: 1, limits: { maxInstances: -1 } });
    expect(verdict.valid).toBe(false);
    expect(verdict.errors.map((e) => [e.code, e.path])).toEqual([
      ["TYPE_MISMATCH", "region"],
      ["TOO_SMALL", "limits.maxInstances"],
    ]);
    expect((await provider.validateConfig({})).errors).toEqual([
      expect.objectContaining({ code: "REQUIRED", path: "region" }),
    ]);

    const host = createInMemoryHost(({ logger }) => createSimpleProvider({ meta, logger, settingsSchema }), {
      settings: { region: "x" },
    });
    const error: unknown = await host.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toBe("settings.region");

    const direct = createSimpleProvider({ meta, settingsSchema, settings: { limits: {} } });
    await expect(direct.initialize({ method: "api-key", credentials: {}, options: {} })).rejects.toThrow(
      /settings\.region: is required/,
    );
    expect(direct.state).toBe("error");
  });

  it("onValidateConfig runs after the schema passed, with the parsed settings", async () => {
    const provider = createSimpleProvider({
      meta,
      settingsSchema,
      onValidateConfig: (_config, _logger, _resources, settings) =>
        settings.region.startsWith("eu")
          ? validation.ok()
          : validation.error("UNSUPPORTED_REGION", "only eu regions", "region"),
    });
    expect((await provider.validateConfig({ region: "us-east-1" })).errors).toEqual([
      { code: "UNSUPPORTED_REGION", message: "only eu regions", path: "region" },
    ]);
    expect((await provider.validateConfig({ region: 5 })).errors[0]?.code).toBe("TYPE_MISMATCH");
  });

  it("without a schema, callbacks get the raw settings object", async () => {
    const provider = createSimpleProvider({ meta, settings: { any: "thing" } });
    expectTypeOf(provider.settings).toEqualTypeOf<Readonly<Record<string, unknown>>>();
    await provider.initialize({ method: "api-key", credentials: {}, options: {} });
    expect(provider.settings).toEqual({ any: "thing" });
  });
});
