import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ValidationError } from "@espada/infra-core";
import type { InfrastructureLogger, ProviderAuth } from "@espada/infra-core";
import { createSimpleProvider, defineCommand, defineProvider, success, validation } from "../src/index.js";
import {
  CONFORMANCE_CHECKS,
  ConformanceViolation,
  checkProviderConformance,
  createInMemoryHost,
  providerConformanceChecks,
  runProviderConformance,
} from "../src/testing/index.js";
import { BrokenProvider } from "./fixtures/brokenProvider.js";
import { createGoodProvider, goodMeta } from "./fixtures/goodProvider.js";

const auth: ProviderAuth = {
  method: "api-key",
  credentials: { apiKey: "sk-live-fixture-4242" },
  options: {},
};

runProviderConformance({ describe, it }, "conformance: the conforming fixture", {
  factory: ({ logger }) => createGoodProvider({ logger }),
  auth,
});

runProviderConformance({ describe, it }, "conformance: a provider with no callbacks and no commands", {
  factory: ({ logger }) => createSimpleProvider({ meta: goodMeta, logger }),
});

describe("conformance: the broken fixture", () => {
  it("fails every check, each problem with what to fix", async () => {
    const report = await checkProviderConformance({
      factory: ({ logger }) => new BrokenProvider(logger),
      auth,
      grace: 100,
    });
    expect(report.ok).toBe(false);
    expect(report.passed).toEqual([]);
    expect(report.failed.map((f) => f.name)).toEqual([...CONFORMANCE_CHECKS]);
    for (const { error } of report.failed) {
      expect(error).toBeInstanceOf(ConformanceViolation);
      expect(error.message).toMatch(/fix: /);
    }
    const message = (name: (typeof CONFORMANCE_CHECKS)[number]): string =>
      report.failed.find((f) => f.name === name)?.error.message ?? "";
    expect(message("meta and every command definition are valid")).toContain(
      'command id "slow" is declared twice',
    );
    expect(message("lifecycle follows the transition table")).toContain(
      "start() before initialize() succeeded",
    );
    expect(message("lifecycle follows the transition table")).toContain("active → terminated");
    expect(message("health checks answer a well-formed report in every state")).toContain(
      'status "great" is not one of healthy, degraded, unhealthy, unknown',
    );
    expect(message("every command validates its parameters before it runs")).toContain(
      'command "create-thing" with params.name of type string given 12345 answered success',
    );
    expect(message("every command validates its parameters before it runs")).toContain(
      "an undeclared command id answered by throwing Error: unknown command",
    );
    expect(message("dry runs are honoured")).toContain(
      'command "create-thing" does not declare supportsDryRun but answered a dry run with success',
    );
    expect(message("dry runs are honoured")).toContain(
      'a dry run of "create-thing" changed what the provider manages',
    );
    expect(message("cancellation is honoured")).toContain(
      'command "create-thing" called with an already aborted signal answered success',
    );
    expect(message("cancellation is honoured")).toContain(
      'command "slow" called with an already aborted signal answered nothing within the grace period',
    );
    expect(message("time limits are honoured")).toContain(
      'command "slow" declares timeout 50 ms but had not answered 150 ms later',
    );
    expect(message("errors are failure results, never throws")).toContain(
      "validateConfig(42) threw: settings must be an object",
    );
    expect(message("errors are failure results, never throws")).toContain(
      'command "create-thing" run before initialize() answered success',
    );
    expect(message("no secret appears in logs, results, health or progress")).toContain(
      'log line 1 (info "connecting with key sk-live-fixture-4242") contains auth.credentials.apiKey',
    );
  });

  it("a single check rejects with a ConformanceViolation listing its problems", async () => {
    const lifecycle = providerConformanceChecks({
      factory: ({ logger }) => new BrokenProvider(logger),
      auth,
      grace: 100,
    })[1]!;
    await expect(lifecycle.run()).rejects.toThrow(
      /lifecycle follows the transition table: \d+ problems?\n {2}1\. /,
    );
  });

  it("a provider that cannot start fails with the reason and the fix", async () => {
    const report = await checkProviderConformance({
      factory: ({ logger }) => createGoodProvider({ logger }),
    }); // no apiKey
    expect(report.failed.find((f) => f.name === "dry runs are honoured")?.error.message).toMatch(
      /could not start the provider: .*credentials.apiKey is required[\s\S]*fix: initialize\(auth\)/,
    );
  });

  it("runs under node:test too (the built kit, a conforming and a broken provider)", () => {
    const file = fileURLToPath(new URL("./node/conformance.node.mjs", import.meta.url));
    const run = spawnSync(process.execPath, ["--test", "--test-reporter=tap", file], {
      encoding: "utf8",
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    expect(run.stdout).toMatch(/# pass 10\b/);
    expect(run.stdout).toMatch(/# fail 0\b/);
    expect(run.status).toBe(0);
  });
});

describe("createInMemoryHost", () => {
  const meta = defineProvider()
    .id("regional")
    .name("Regional")
    .version("1.0.0")
    .category("cloud")
    .authMethods("api-key")
    .build();
  const hello = defineCommand()
    .id("hello")
    .name("Hello")
    .category("utility")
    .stringParam("who", "Who", { required: true })
    .handler((params, ctx, logger) => {
      logger.info(`hello ${params.who}`);
      ctx.progress({ message: "said hello", percent: 100 });
      return success({ greeting: `hello ${params.who}` });
    });
  const factory = ({ logger }: { logger: InfrastructureLogger }) =>
    createSimpleProvider({
      meta,
      logger,
      commands: [hello],
      onValidateConfig: (config) =>
        typeof config === "object" && config !== null && "region" in config
          ? validation.ok()
          : validation.error("REQUIRED", "region is required", "region"),
    });

  it("runs the registry's path: factory, settings check, initialize, start, execute; captures logs and progress", async () => {
    const host = createInMemoryHost(factory, { settings: { region: "eu" }, instanceId: "regional-1" });
    const provider = await host.start();
    expect(provider.state).toBe("active");
    const result = await host.execute("hello", { who: "ada" });
    expect(result).toMatchObject({ success: true, data: { greeting: "hello ada" } });
    expect(host.logger.find("info").map((e) => [e.message, e.context.instanceId])).toEqual([
      ["hello ada", "regional-1"],
    ]);
    expect(host.progress).toEqual([{ message: "said hello", percent: 100 }]);
    await host.shutdown();
    expect(host.provider.state).toBe("terminated");
  });

  it("refuses bad settings with a ValidationError naming settings.<field>", async () => {
    const host = createInMemoryHost(factory);
    const error: unknown = await host.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { code: "REQUIRED", message: "region is required", path: "settings.region" },
    ]);
    expect(() => host.provider).toThrow(/await host.create\(\)/);
    await host.shutdown();
  });
});
