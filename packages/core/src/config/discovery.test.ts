import { describe, expect, it } from "vitest";
import { discoveryConfigSchema } from "./schemas.js";

describe("discoveryConfigSchema", () => {
  it("fills in the defaults: installed plugins from ./node_modules, a 60 s cache", () => {
    expect(discoveryConfigSchema.parse({})).toEqual({
      enabled: true,
      bundledDirs: [],
      installedDirs: ["node_modules"],
      localDirs: [],
      remoteRegistries: [],
      cacheTtl: 60_000,
      remoteTimeout: 10_000,
      maxManifestBytes: 1024 * 1024,
    });
  });

  it("accepts http(s) indexes only, rejects unknown keys and bad numbers", () => {
    expect(
      discoveryConfigSchema.safeParse({
        remoteRegistries: [{ url: "https://plugins.example/index.json", headers: { authorization: "x" } }],
      }).success,
    ).toBe(true);
    const bad = discoveryConfigSchema.safeParse({
      remoteRegistries: [{ url: "file:///etc/passwd" }],
      cacheTTL: 5,
      remoteTimeout: 0,
      localDirs: [""],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((issue) => issue.path.join("."))).toEqual(
      expect.arrayContaining(["remoteRegistries.0.url", "", "remoteTimeout", "localDirs.0"]),
    );
  });
});
