import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getDefaultInfrastructureConfig, infrastructureConfigSchema } from "@espada/infra-core";
import plugin from "./index.js";
import {
  INFRA_CLI_DESCRIPTOR,
  MANIFEST_FILES,
  buildHostManifest,
  manifestText,
  registeredToolNames,
} from "./manifests.js";
import { configArbitrary } from "../test/support/configArbitraries.js";
import { compileHostValidator } from "../test/support/hostSchemaValidator.js";
import { parityViolation, structuralIssues, tallyVerdict } from "../test/support/schemaParity.js";
import type { ParityTally } from "../test/support/schemaParity.js";

const read = (file: string): string => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  version: string;
  description: string;
  files: string[];
  openclaw?: { extensions?: string[] };
  espada?: { extensions?: string[] };
};
const expected = manifestText(
  buildHostManifest({
    id: plugin.id,
    name: plugin.name,
    description: pkg.description,
    version: pkg.version,
    toolNames: registeredToolNames(plugin),
  }),
);
const manifest = JSON.parse(read("openclaw.plugin.json")) as {
  configSchema: Record<string, unknown>;
  contracts?: { tools: string[] };
};
const hostAccepts = compileHostValidator(manifest.configSchema);

describe("host manifests", () => {
  it.each(MANIFEST_FILES)("%s is what scripts/gen-manifests.mjs generates", (file) => {
    expect(read(file)).toBe(expected);
  });

  it("names the plugin, starts it with the gateway and declares the infra command", () => {
    expect(JSON.parse(expected)).toMatchObject({
      id: "infrastructure",
      name: plugin.name,
      version: pkg.version,
      activation: { onStartup: true },
      cliCommands: [INFRA_CLI_DESCRIPTOR],
    });
  });

  it("lists in contracts.tools exactly the agent tools register() registers", () => {
    expect(manifest.contracts?.tools ?? []).toEqual(registeredToolNames(plugin));
  });

  it("package.json points both hosts at the built entry and ships the manifests", () => {
    expect(pkg.openclaw?.extensions).toEqual(["./dist/index.js"]);
    expect(pkg.espada?.extensions).toEqual(["./dist/index.js"]);
    for (const file of MANIFEST_FILES) expect(pkg.files).toContain(file);
  });
});

describe("configSchema parity: the host's JSON Schema check and core's zod schema", () => {
  const provider = {
    id: "kv-db",
    enabled: true,
    auth: { method: "api-key", credentials: { apiKey: "k" } },
    settings: { region: "eu-west-1" },
  };

  it.each([
    ["the empty config", {}],
    ["the defaults", getDefaultInfrastructureConfig()],
    ["a provider object", { providers: [provider], defaultProvider: "kv-db" }],
    [
      "the spec's install example",
      {
        enabled: true,
        providers: [
          {
            id: "my-cloud",
            enabled: true,
            auth: { method: "api-key", credentials: { apiKey: "${MY_API_KEY}" } },
            settings: {},
          },
        ],
        defaultProvider: "my-cloud",
        sessionConfig: {
          timeout: 3_600_000,
          maxConcurrent: 10,
          persistState: true,
          cleanupInterval: 300_000,
        },
      },
    ],
  ])("both accept %s", (_name, config) => {
    expect(infrastructureConfigSchema.safeParse(config).success).toBe(true);
    expect(hostAccepts(structuredClone(config))).toBe(true);
  });

  it.each([
    ["a provider id that is not kebab-case", { providers: [{ ...provider, id: "Not An Id" }] }],
    ["an unknown auth method", { providers: [{ ...provider, auth: { method: "password" } }] }],
    [
      "a credential that is not a string",
      { providers: [{ ...provider, auth: { method: "api-key", credentials: { apiKey: 42 } } }] },
    ],
    ["an unknown key in a provider", { providers: [{ ...provider, region: "eu" }] }],
    ["a provider without id", { providers: [{ enabled: true }] }],
    ["providers that is not a list", { providers: { id: "kv-db" } }],
    ["an unknown top-level key", { provider: [] }],
    ["a negative session timeout", { sessionConfig: { timeout: -1 } }],
  ])("both refuse %s", (_name, config) => {
    const zod = infrastructureConfigSchema.safeParse(config);
    expect(zod.success).toBe(false);
    if (!zod.success) expect(structuralIssues(zod.error.issues).length).toBeGreaterThan(0);
    expect(hostAccepts(structuredClone(config))).toBe(false);
  });

  it("zod accepts ⇒ the host accepts; zod refuses structurally ⇒ the host refuses (property)", () => {
    const tally: ParityTally = { zodAccepted: 0, structurallyRefused: 0, refinementOnly: 0 };
    fc.assert(
      fc.property(configArbitrary(manifest.configSchema), (config) => {
        const zod = infrastructureConfigSchema.safeParse(config);
        tallyVerdict(tally, zod);
        expect(parityViolation(config, zod, hostAccepts(structuredClone(config)))).toBeNull();
      }),
      { numRuns: 400 },
    );
    // The run reached every branch of the rule.
    expect(tally.zodAccepted).toBeGreaterThan(20);
    expect(tally.structurallyRefused).toBeGreaterThan(20);
    expect(tally.refinementOnly).toBeGreaterThan(0);
  });

  it("refinements are the only gap: a config refused for a time zone alone passes the host's check", () => {
    const config = { conversationConfig: { timeZone: "Mars/Olympus" } };
    const zod = infrastructureConfigSchema.safeParse(config);
    expect(zod.success).toBe(false);
    if (!zod.success) expect(structuralIssues(zod.error.issues)).toEqual([]);
    expect(hostAccepts(config)).toBe(true);
  });
});
