import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createPluginDiscoverer } from "@espada/infra-discovery";
import { createMockLogger } from "@espada/infra-sdk";
import { createProvider, meta } from "./plugin.js";

const manifest = JSON.parse(
  readFileSync(new URL("../infrastructure.plugin.json", import.meta.url), "utf8"),
) as {
  providers: { meta: unknown; entry: string }[];
};

describe("kv provider plugin entry", () => {
  it("declares in its discovery manifest exactly the meta the entry exports", () => {
    expect(manifest.providers).toHaveLength(1);
    expect(manifest.providers[0]?.meta).toEqual(JSON.parse(JSON.stringify(meta)));
    expect(manifest.providers[0]?.entry).toBe("./dist/plugin.js");
  });

  it("creates a provider with the instance id the registry hands over", () => {
    const provider = createProvider({ instanceId: "kv-db-1", settings: {}, logger: createMockLogger() });
    expect(provider.meta.id).toBe("kv-db");
  });

  it("is found by discovery from its folder", async () => {
    const discoverer = createPluginDiscoverer({
      config: { localDirs: [new URL("..", import.meta.url).pathname], installedDirs: [] },
    });
    const result = await discoverer.discover();
    expect(result.problems).toEqual([]);
    expect(result.providers.map((p) => p.meta.id)).toEqual(["kv-db"]);
  });
});
