import { describe, expect, it } from "vitest";
import { ValidationError } from "@espada/infra-core";
import { defineProvider } from "./defineProvider.js";

const full = () =>
  defineProvider()
    .id("my-cloud")
    .name("My Cloud Provider")
    .displayName("My Cloud")
    .description("Custom cloud infrastructure provider")
    .version("1.0.0")
    .category("cloud")
    .capabilities("provision", "deprovision", "scale", "monitor")
    .supportedResources("compute", "storage", "network")
    .authMethods("api-key", "oauth2");

function buildError(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("defineProvider", () => {
  it("builds the spec's meta with every field", () => {
    const meta = full().author("Ops Team").homepage("https://example.com").tags("demo", "cloud").build();
    expect(meta).toEqual({
      id: "my-cloud",
      name: "My Cloud Provider",
      displayName: "My Cloud",
      description: "Custom cloud infrastructure provider",
      version: "1.0.0",
      category: "cloud",
      capabilities: ["provision", "deprovision", "scale", "monitor"],
      supportedResources: ["compute", "storage", "network"],
      authMethods: ["api-key", "oauth2"],
      author: "Ops Team",
      homepage: "https://example.com",
      tags: ["demo", "cloud"],
    });
  });

  it("is immutable: each call returns a new builder", () => {
    const base = full();
    const a = base.id("cloud-a").build();
    const b = base.build();
    expect(a.id).toBe("cloud-a");
    expect(b.id).toBe("my-cloud");
  });

  it("accumulates and de-duplicates list fields and defaults displayName to name", () => {
    const meta = defineProvider()
      .id("x")
      .name("X")
      .version("0.1.0")
      .category("custom")
      .capabilities("scale")
      .capabilities("scale", "monitor")
      .authMethods("token")
      .build();
    expect(meta.capabilities).toEqual(["scale", "monitor"]);
    expect(meta.displayName).toBe("X");
    expect(meta.tags).toEqual([]);
  });

  it("throws a ValidationError naming a missing id", () => {
    const error = buildError(() =>
      full()
        .id(undefined as unknown as string)
        .build(),
    );
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain("id is required");
    expect(error.field).toBe("id");
  });

  it("names every missing field of an empty builder", () => {
    const error = buildError(() => defineProvider().build());
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["id", "name", "version", "category", "authMethods"]));
    expect(error.message).toContain("name is required");
  });

  it("explains invalid values", () => {
    const error = buildError(() => full().id("My Cloud").version("one").build());
    expect(error.issues.map((i) => i.path)).toEqual(["id", "version"]);
    expect(error.message).toMatch(/id: .*kebab-case/);
    expect(error.message).toMatch(/version: .*semantic version/);
  });

  it("rejects an unknown category or capability at runtime", () => {
    const error = buildError(() =>
      full()
        .category("mainframe" as "cloud")
        .capabilities("teleport" as "scale")
        .build(),
    );
    expect(error.issues.map((i) => i.path)).toEqual(["category", "capabilities[4]"]);
  });

  it("uses core's issue codes, like every other validator of the framework", () => {
    const error = buildError(() =>
      defineProvider()
        .id("x")
        .name(7 as unknown as string)
        .version("one")
        .category("mainframe" as "cloud")
        .build(),
    );
    const codes = Object.fromEntries(error.issues.map((i) => [i.path, i.code]));
    expect(codes).toMatchObject({
      name: "TYPE_MISMATCH",
      version: "INVALID_FORMAT",
      category: "INVALID_VALUE",
      authMethods: "REQUIRED",
    });
  });
});
