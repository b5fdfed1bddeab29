import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { commandDefinitionSchema, createAllowAllGate, providerMetaSchema } from "@espada/infra-core";
import type {
  CommandDefinition,
  CommandResult,
  CommandValidationConfig,
  InfrastructureProvider,
  ValidationIssue,
} from "@espada/infra-core";
import { createCommandExecutor } from "@espada/infra-registry";
import { createSimpleProvider, success, validationIssuesOf } from "@espada/infra-sdk";

// One validation: a command gets the same verdict through the executor (under the operator's
// `commandConfig.validation`) as directly on a provider configured with those settings — even when
// the provider under the executor was built with its own defaults (a factory that forwards nothing).

const meta = providerMetaSchema.parse({
  id: "verdicts",
  name: "verdicts",
  displayName: "Verdicts",
  version: "1.0.0",
  category: "custom",
  authMethods: ["token"],
});
const AUTH = { method: "token" as const, credentials: {}, options: {} };

async function activeProvider(
  commands: readonly CommandDefinition[],
  validation?: Partial<CommandValidationConfig>,
): Promise<InfrastructureProvider> {
  const provider = createSimpleProvider({
    meta,
    commands,
    ...(validation === undefined ? {} : { validation }),
    onInitialize: () => undefined,
    onStart: () => undefined,
    onHealthCheck: () => [{ name: "ok", status: "healthy" }],
    onExecuteCommand: (cmd, params): CommandResult => success({ ran: cmd.id, params }),
  });
  await provider.initialize(AUTH);
  await provider.start();
  return provider;
}

function executorOver(provider: InfrastructureProvider, validation: Partial<CommandValidationConfig>) {
  return createCommandExecutor({
    providers: { getInstance: (id) => (id === "i-1" ? { state: provider.state, provider } : undefined) },
    gate: createAllowAllGate(),
    config: { validation },
  });
}

/** The verdict as comparable data: ran, or the top-level code and the (code, path) of every issue. */
type Verdict =
  { readonly ran: true } | { readonly ran: false; readonly code: string; readonly issues: readonly string[] };
const issueKeys = (issues: readonly ValidationIssue[]): string[] =>
  issues.map((i) => `${i.code}@${i.path ?? ""}`).sort();

function directVerdict(result: CommandResult): Verdict {
  return result.success
    ? { ran: true }
    : { ran: false, code: result.error.code, issues: issueKeys(validationIssuesOf(result)) };
}

describe("one validation authority: executor and provider agree", () => {
  it("dangerousCommandsRequireExplicit: false lets a dangerous command run on an SDK provider through the executor", async () => {
    const destroy = commandDefinitionSchema.parse({
      id: "destroy",
      name: "Destroy",
      category: "manage",
      dangerous: true,
    });
    const provider = await activeProvider([destroy]); // defaults: dangerous commands need confirmation
    const executor = executorOver(provider, { dangerousCommandsRequireExplicit: false });
    const outcome = await executor.execute({ instanceId: "i-1", commandId: "destroy" });
    expect(outcome.status).toBe("succeeded");
    // and the same settings given to the provider decide the same way directly
    const configured = await activeProvider([destroy], { dangerousCommandsRequireExplicit: false });
    expect((await configured.executeCommand("destroy", {})).success).toBe(true);
    await executor.close();
  });

  it("the same call gets the same verdict and the same code on both paths, whatever the settings, definition, params and flags (property)", async () => {
    const settings = fc.record({
      strict: fc.boolean(),
      allowDryRun: fc.boolean(),
      requireConfirmation: fc.boolean(),
      dangerousCommandsRequireExplicit: fc.boolean(),
    });
    const paramType = fc.constantFrom("string" as const, "number" as const, "boolean" as const);
    const definition = fc
      .record({
        dangerous: fc.boolean(),
        supportsDryRun: fc.boolean(),
        parameters: fc.uniqueArray(
          fc.record({
            name: fc.constantFrom("name", "size", "force", "zone"),
            type: paramType,
            required: fc.boolean(),
          }),
          {
            selector: (p) => p.name,
            maxLength: 3,
          },
        ),
      })
      .map((d) => commandDefinitionSchema.parse({ id: "cmd", name: "Cmd", category: "manage", ...d }));
    const value = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null));
    const params = fc.dictionary(fc.constantFrom("name", "size", "force", "zone", "extra", "dryRun"), value, {
      maxKeys: 4,
    });
    await fc.assert(
      fc.asyncProperty(
        settings,
        definition,
        params,
        fc.boolean(),
        fc.boolean(),
        async (config, command, input, dryRun, confirmed) => {
          const direct = await activeProvider([command], config);
          const underExecutor = await activeProvider([command]); // built with its own defaults
          const executor = executorOver(underExecutor, config);
          const viaProvider = directVerdict(await direct.executeCommand("cmd", input, { dryRun, confirmed }));
          const outcome = await executor.execute({
            instanceId: "i-1",
            commandId: "cmd",
            params: input,
            dryRun,
            confirmed,
          });
          await executor.close();
          const viaExecutor: Verdict =
            outcome.status === "succeeded"
              ? { ran: true }
              : outcome.status === "invalid"
                ? { ran: false, code: outcome.result.error.code, issues: issueKeys(outcome.issues) }
                : { ran: false, code: `status:${outcome.status}`, issues: [] };
          expect(viaExecutor).toEqual(viaProvider);
        },
      ),
      { numRuns: 300 },
    );
  }, 300_000); // no timing assertion: the bound only spares a slow, busy CI machine
});
