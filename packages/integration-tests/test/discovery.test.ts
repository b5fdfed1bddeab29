// Registry + discovery: plugins found from manifests are registered lazily, built with the SDK,
// and only run when a provider is first created from them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAllowAllGate } from "@espada/infra-core";
import { InfrastructureProviderRegistry, createCommandExecutor } from "@espada/infra-registry";
import {
  computeIntegrity,
  createPluginDiscoverer,
  getFrameworkVersion,
  parseInfrastructureConfigYaml,
} from "@espada/infra-discovery";
import type { InfrastructurePluginDiscoverer } from "@espada/infra-discovery";

// Plugins live under this package so that their modules resolve @espada/infra-sdk like an installed plugin would.
const packageDir = fileURLToPath(new URL("..", import.meta.url));

const meta = (id: string, version = "1.0.0") => ({
  id,
  name: id,
  displayName: `Plugin ${id}`,
  description: "found by discovery",
  version,
  category: "cloud",
  capabilities: ["provision"],
  supportedResources: ["compute"],
  authMethods: ["api-key"],
  tags: [],
});

/** A provider module written with the SDK; loading it counts in globalThis.__discoveryLoads. */
function sdkModule(id: string, version = "1.0.0"): string {
  return `
import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";
globalThis.__discoveryLoads = (globalThis.__discoveryLoads ?? 0) + 1;
export const meta = defineProvider().id(${JSON.stringify(id)}).name(${JSON.stringify(id)}).displayName(${JSON.stringify(`Plugin ${id}`)})
  .description("found by discovery").version(${JSON.stringify(version)}).category("cloud").capabilities("provision")
  .supportedResources("compute").authMethods("api-key").build();
const hello = defineCommand().id("hello").name("Hello").category("utility")
  .stringParam("who", "Who to greet", { required: true })
  .handler((params) => success({ greeting: "hello " + params.who }));
export function createProvider({ instanceId, logger }) {
  return createSimpleProvider({ meta, instanceId, logger, commands: [hello], onInitialize() {}, onStart() {},
    onHealthCheck: () => [{ name: "plugin", status: "healthy" }] });
}
`;
}

const loads = (): number => (globalThis as { __discoveryLoads?: number }).__discoveryLoads ?? 0;

function write(path: string, content: string | object): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
}

describe("registry + discovery", () => {
  let dir: string;
  let server: Server;
  let serverUrl: string;
  const routes = new Map<string, Buffer>();
  let discoverer: InfrastructurePluginDiscoverer | undefined;
  let registry: InfrastructureProviderRegistry | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(packageDir, ".tmp-discovery-"));
    server = createServer((req, res) => {
      const body = routes.get(req.url ?? "");
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await registry?.shutdown();
    discoverer?.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    routes.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers discovered providers without running them, and imports each on first creation", async () => {
    const framework = `^${getFrameworkVersion()}`;
    write(join(dir, "plugins", "greeter", "infrastructure.plugin.json"), {
      name: "greeter-plugin",
      version: "1.0.0",
      frameworkVersion: framework,
      providers: [{ meta: meta("greeter"), entry: "./dist/index.js" }],
    });
    write(join(dir, "plugins", "greeter", "dist", "index.js"), sdkModule("greeter"));
    // A module whose meta does not match its manifest is refused when first used.
    write(join(dir, "plugins", "liar", "infrastructure.plugin.json"), {
      name: "liar-plugin",
      version: "1.0.0",
      frameworkVersion: framework,
      providers: [{ meta: meta("liar"), entry: "./index.js" }],
    });
    write(join(dir, "plugins", "liar", "index.js"), sdkModule("liar", "2.0.0"));
    write(join(dir, "plugins", "broken", "espada-infrastructure.json"), {
      name: "broken",
      version: "1.0.0",
      frameworkVersion: framework,
      providers: [],
    });
    // A remote artifact whose bytes were tampered with after its integrity was published.
    const genuine = Buffer.from(
      `export const meta = ${JSON.stringify(meta("remote-one"))}; export function createProvider() { return null; }`,
    );
    routes.set(
      "/remote-one.mjs",
      Buffer.concat([genuine, Buffer.from("\nglobalThis.__discoveryLoads = 1000;")]),
    );
    routes.set(
      "/index.json",
      Buffer.from(
        JSON.stringify({
          plugins: [
            {
              name: "remote-one",
              version: "1.0.0",
              frameworkVersion: framework,
              artifact: { url: "/remote-one.mjs", integrity: computeIntegrity(genuine) },
              providers: [{ meta: meta("remote-one") }],
            },
          ],
        }),
      ),
    );

    // The discovery section comes from the same configuration loading a standalone host uses.
    const loaded = parseInfrastructureConfigYaml(
      [
        "extensions:",
        "  infrastructure:",
        "    discoveryConfig:",
        "      localDirs: [plugins]",
        "      installedDirs: []",
        "      remoteRegistries:",
        "        - url: ${INDEX_URL}",
      ].join("\n"),
      { env: { INDEX_URL: `${serverUrl}/index.json` } },
    );
    expect(loaded.success).toBe(true);
    if (!loaded.success) return;
    discoverer = createPluginDiscoverer({ cwd: dir, config: loaded.config.discoveryConfig });
    registry = new InfrastructureProviderRegistry({ discoverer });

    const before = loads();
    const report = await registry.discoverAndRegisterProviders();
    expect(report.registered.map((r) => [r.id, r.source])).toEqual([
      ["greeter", "local"],
      ["liar", "local"],
      ["remote-one", "remote"],
    ]);
    expect(report.problems).toEqual([
      expect.objectContaining({
        location: join(dir, "plugins", "broken", "espada-infrastructure.json"),
        field: "providers",
        source: "local",
      }),
    ]);
    expect(loads()).toBe(before); // registered, but no plugin code has run
    expect(registry.getFactory("greeter")?.plugin).toMatchObject({
      name: "greeter-plugin",
      version: "1.0.0",
    });

    const instance = await registry.createAndInitializeProvider("greeter", { instanceId: "greeter-1" });
    expect(loads()).toBe(before + 1);
    expect(instance.state).toBe("active");
    const executor = createCommandExecutor({ providers: registry, gate: createAllowAllGate() });
    const outcome = await executor.execute({
      instanceId: "greeter-1",
      commandId: "hello",
      params: { who: "discovery" },
    });
    await executor.close();
    expect(outcome).toMatchObject({
      status: "succeeded",
      result: { success: true, data: { greeting: "hello discovery" } },
    });
    await registry.createProvider("greeter", { instanceId: "greeter-2" });
    expect(loads()).toBe(before + 1); // imported once

    await expect(registry.createProvider("liar")).rejects.toMatchObject({
      code: "DISCOVERY_FAILED",
      field: "meta.version",
    });
    await expect(registry.createProvider("remote-one")).rejects.toMatchObject({
      code: "DISCOVERY_FAILED",
      field: "artifact.integrity",
    });
    expect(loads()).toBe(before + 2); // the liar's module ran (its meta is read from it), the tampered artifact never did
    expect(registry.getAllInstances().map((i) => i.instanceId)).toEqual(["greeter-1", "greeter-2"]);

    // A second discovery within the TTL is the cached result: nothing new to register, all duplicates.
    const again = await registry.discoverAndRegisterProviders();
    expect(again.registered).toEqual([]);
    expect(again.duplicates.map((d) => d.id)).toEqual(["greeter", "liar", "remote-one"]);
  });
});
