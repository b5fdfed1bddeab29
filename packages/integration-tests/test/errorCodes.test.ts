import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  commandDefinitionSchema,
  createAllowAllGate,
  isInfrastructureErrorCode,
  providerMetaSchema,
} from "@espada/infra-core";
import type { CommandResult, ExecutionOutcome, InfrastructureProvider } from "@espada/infra-core";
import { createCommandExecutor } from "@espada/infra-registry";
import { createSimpleProvider } from "@espada/infra-sdk";

// One catalogue: the same mistake gets the same code whoever reports it — the executor or an SDK
// provider called directly (it used to be NOT_FOUND vs UNKNOWN_COMMAND, PROVIDER_FAILED vs COMMAND_FAILED).

const meta = providerMetaSchema.parse({
  id: "codes",
  name: "codes",
  displayName: "Codes",
  version: "1.0.0",
  category: "custom",
  authMethods: ["token"],
});
const commands = [
  commandDefinitionSchema.parse({ id: "explode", name: "Explode", category: "manage" }),
  commandDefinitionSchema.parse({ id: "garbage", name: "Garbage", category: "manage" }),
];

async function provider(): Promise<InfrastructureProvider> {
  const p = createSimpleProvider({
    meta,
    commands,
    onInitialize: () => undefined,
    onStart: () => undefined,
    onHealthCheck: () => [{ name: "ok", status: "healthy" }],
    onExecuteCommand: (cmd): CommandResult => {
      if (cmd.id === "explode") throw new Error("handler bug");
      return 42 as unknown as CommandResult;
    },
  });
  await p.initialize({ method: "token", credentials: {}, options: {} });
  await p.start();
  return p;
}

function codeOf(outcome: ExecutionOutcome): string {
  return outcome.status === "succeeded" || outcome.status === "pending"
    ? outcome.status
    : outcome.result.error.code;
}

describe("one error catalogue across packages", () => {
  it("an unknown command, a throwing handler, a garbage result and a stopped provider get one code on both paths", async () => {
    const direct = await provider();
    const managed = await provider();
    const executor = createCommandExecutor({
      providers: {
        getInstance: (id) => (id === "i-1" ? { state: managed.state, provider: managed } : undefined),
      },
      gate: createAllowAllGate(),
    });
    const cases = [
      ["nope", "NOT_FOUND"],
      ["explode", "PROVIDER_FAILED"],
      ["garbage", "PROVIDER_FAILED"],
    ] as const;
    for (const [commandId, code] of cases) {
      const viaProvider = await direct.executeCommand(commandId, {});
      const viaExecutor = await executor.execute({ instanceId: "i-1", commandId });
      expect([commandId, viaProvider.success ? "ran" : viaProvider.error.code]).toEqual([commandId, code]);
      expect([commandId, codeOf(viaExecutor)]).toEqual([commandId, code]);
      expect(isInfrastructureErrorCode(code) && ERROR_CODES[code].action.length > 0).toBe(true);
    }
    await direct.stop();
    await managed.stop();
    const stoppedDirect = await direct.executeCommand("explode", {});
    const stoppedExecutor = await executor.execute({ instanceId: "i-1", commandId: "explode" });
    expect([stoppedDirect.success ? "ran" : stoppedDirect.error.code, codeOf(stoppedExecutor)]).toEqual([
      "NOT_ACTIVE",
      "NOT_ACTIVE",
    ]);
    await executor.close();
  });
});
