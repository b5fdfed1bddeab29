import { deferredById, precompileFastParser } from "@espada/infra-core";
import { describe, expect, it } from "vitest";
import { fastParsers } from "./fastParsers.generated.js";
import "./manifest.js"; // the module that gives this package's schemas an id

describe("the discovery package's fast parsers compiled at build time", () => {
  it("are those of its schemas as they are now (after changing one: `pnpm gen:fast-parsers`)", () => {
    const ours = [...deferredById()].filter(([id]) => id.startsWith("discovery."));
    expect(Object.keys(fastParsers).sort()).toEqual(ours.map(([id]) => id).sort());
    for (const [id, schema] of ours)
      expect(precompileFastParser(schema as never)?.fingerprint, id).toBe(fastParsers[id]?.fingerprint);
  });
});
