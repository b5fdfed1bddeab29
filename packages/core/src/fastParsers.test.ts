import { describe, expect, it } from "vitest";
import "./index.js"; // every module of core that gives a schema an id
import { deferredById } from "./deferredSchema.js";
import { fastParsers } from "./fastParsers.generated.js";
import { precompileFastParser } from "./validation/precompiled.js";

describe("core's fast parsers compiled at build time", () => {
  it("are those of its schemas as they are now (after changing one: `pnpm gen:fast-parsers`)", () => {
    const ours = [...deferredById()].filter(([id]) => id.startsWith("core."));
    expect(Object.keys(fastParsers).sort()).toEqual(ours.map(([id]) => id).sort());
    for (const [id, schema] of ours)
      expect(precompileFastParser(schema as never)?.fingerprint, id).toBe(fastParsers[id]?.fingerprint);
  });
});
