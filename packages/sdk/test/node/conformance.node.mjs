// The conformance kit under node:test (no vitest): run by test/conformance.test.ts with `node --test`.
// Uses the built package through its own exports (`@espada/infra-sdk`, `@espada/infra-sdk/testing`).
import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";
import { checkProviderConformance, runProviderConformance } from "@espada/infra-sdk/testing";

const meta = defineProvider()
  .id("node-cloud")
  .name("Node Cloud")
  .version("1.0.0")
  .category("cloud")
  .authMethods("api-key")
  .build();
const ping = defineCommand()
  .id("ping")
  .name("Ping")
  .category("utility")
  .stringParam("host", "Host", { required: true })
  .supportsDryRun()
  .handler((params) => success({ pong: params.host }));

runProviderConformance({ describe, it }, "node-cloud conforms", {
  factory: ({ logger }) => createSimpleProvider({ meta, logger, commands: [ping] }),
});

test("a provider that throws from executeCommand does not conform", async () => {
  const factory = ({ logger }) => {
    const provider = createSimpleProvider({ meta, logger, commands: [ping] });
    provider.executeCommand = () => Promise.reject(new Error("boom"));
    return provider;
  };
  const report = await checkProviderConformance({ factory, grace: 100 });
  assert.equal(report.ok, false);
  assert.match(
    report.failed.find((f) => f.name === "errors are failure results, never throws").error.message,
    /command "ping" answered by throwing Error: boom/,
  );
});
